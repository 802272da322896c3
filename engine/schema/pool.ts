import type { Worker } from 'node:worker_threads'
import type { FieldProblem } from '../problems.js'
import type { ValidationLimits } from './limits.js'
import type { WorkerReply, WorkerSettings, WorkerTask } from './protocol.js'
import { startSchemaWorker } from './worker-entry.js'

type Task = WorkerTask extends infer T ? (T extends WorkerTask ? Omit<T, 'id'> : never) : never

interface Pending {
  task: Task
  resolve: (problems: FieldProblem[]) => void
}

interface Slot {
  worker: Worker
  ready: boolean
  current?: Pending & { id: number; timer: NodeJS.Timeout }
}

const STARTUP_LIMIT_MS = 30_000

const where = (task: Task) => (task.op === 'schema' ? task.at : task.base)

/** Stats for tests and the operator: how often the budget had to be enforced. */
export interface PoolStats {
  timeouts: number
  crashes: number
  refusedBusy: number
  started: number
  /** Tasks handed to a worker (compiles and validations). */
  tasks: number
}

/**
 * Worker threads that compile and run agents' schemas, one task per worker at a time, each
 * under a wall-clock limit. A worker that overruns (or runs out of heap) is terminated and
 * replaced; its caller gets a problem naming the limit. The event loop only ever waits on a
 * message, so a runaway schema costs one worker for at most `timeoutMs`, never the server.
 */
export class ValidationPool {
  private readonly slots: Slot[] = []
  private readonly queue: Pending[] = []
  private nextId = 1
  private closed = false
  readonly stats: PoolStats = { timeouts: 0, crashes: 0, refusedBusy: 0, started: 0, tasks: 0 }

  constructor(private readonly limits: ValidationLimits) {}

  run(task: Task): Promise<FieldProblem[]> {
    if (this.queue.length >= this.limits.maxQueued) {
      this.stats.refusedBusy++
      return Promise.resolve([{ path: where(task), message: `cannot be checked now: ${this.limits.maxQueued} validations are already waiting; try again shortly` }])
    }
    return new Promise((resolve) => {
      this.queue.push({ task, resolve })
      this.dispatch()
    })
  }

  /** Starts every worker now, so the first requests do not pay for thread start-up. */
  warm(): void {
    while (this.slots.length < this.limits.workers) this.spawn()
    this.refresh()
  }

  async close(): Promise<void> {
    this.closed = true
    const slots = this.slots.splice(0)
    for (const slot of slots) this.finish(slot, [{ path: slot.current ? where(slot.current.task) : '', message: 'cannot be checked: the validator is shutting down' }])
    for (const pending of this.queue.splice(0)) pending.resolve([{ path: where(pending.task), message: 'cannot be checked: the validator is shutting down' }])
    await Promise.all(slots.map((s) => s.worker.terminate()))
  }

  private dispatch(): void {
    if (this.closed) return
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.ready && !s.current)
      if (!slot) {
        while (this.slots.length < this.limits.workers) this.spawn()
        break
      }
      const pending = this.queue.shift()!
      const id = this.nextId++
      const timer = setTimeout(() => this.overran(slot), this.limits.timeoutMs)
      slot.current = { ...pending, id, timer }
      const message: WorkerTask = { ...pending.task, id }
      slot.worker.postMessage(message)
      this.stats.tasks++
    }
    this.refresh()
  }

  private spawn(): void {
    const settings: WorkerSettings = { cacheEntries: this.limits.cacheEntries, cacheBytes: this.limits.cacheBytes }
    const worker = startSchemaWorker({
      workerData: settings,
      resourceLimits: { maxOldGenerationSizeMb: this.limits.workerHeapMb, maxYoungGenerationSizeMb: 32 },
    })
    const slot: Slot = { worker, ready: false }
    this.slots.push(slot)
    this.stats.started++
    // A worker that never reports ready would leave its callers waiting for good.
    const startup = setTimeout(() => this.retire(slot, 'cannot be checked: the validator did not start'), STARTUP_LIMIT_MS)
    startup.unref()
    worker.on('message', (message: WorkerReply | { ready: true }) => {
      if ('ready' in message) {
        clearTimeout(startup)
        slot.ready = true
        this.dispatch()
        return
      }
      if (slot.current?.id !== message.id) return
      this.finish(slot, message.problems)
      this.dispatch()
    })
    worker.on('error', (error: Error & { code?: string }) => {
      this.stats.crashes++
      const outOfMemory = error.code === 'ERR_WORKER_OUT_OF_MEMORY'
      this.retire(slot, outOfMemory ? `validation needed more than the ${this.limits.workerHeapMb} MB memory limit` : 'cannot be checked: the validator stopped unexpectedly')
    })
    worker.on('exit', () => this.retire(slot, 'cannot be checked: the validator stopped unexpectedly'))
  }

  private overran(slot: Slot): void {
    this.stats.timeouts++
    this.retire(slot, `validation stopped at the ${this.limits.timeoutMs} ms time limit (HOLDPOINT_VALIDATION_TIMEOUT_MS); the schema is too expensive for this value (e.g. uniqueItems over a large array, or nested oneOf/anyOf)`)
  }

  /** Takes a worker out of the pool for good, answering its task (if any) with `message`. */
  private retire(slot: Slot, message: string): void {
    const index = this.slots.indexOf(slot)
    if (index === -1) return
    this.slots.splice(index, 1)
    if (slot.current) this.finish(slot, [{ path: where(slot.current.task), message }])
    void slot.worker.terminate()
    // A worker that dies before it is ready would die again: answer the waiting callers
    // instead of respawning in a loop; the next request tries a fresh worker.
    if (!slot.ready) {
      for (const pending of this.queue.splice(0)) pending.resolve([{ path: where(pending.task), message: 'cannot be checked: the validator could not start' }])
    }
    this.dispatch()
  }

  private finish(slot: Slot, problems: FieldProblem[]): void {
    const current = slot.current
    if (!current) return
    clearTimeout(current.timer)
    slot.current = undefined
    current.resolve(problems)
  }

  // Workers keep the process alive only while someone waits on them: an idle pool must not
  // stop a CLI or a test from exiting, and a waiting caller must not be dropped by an exit.
  private refresh(): void {
    const waiting = this.queue.length > 0
    for (const slot of this.slots) {
      if (slot.current || (waiting && !slot.ready)) slot.worker.ref()
      else slot.worker.unref()
    }
  }
}
