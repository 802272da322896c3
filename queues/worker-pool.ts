import type { Worker } from 'bullmq'
import { createDeliveryWorker } from './workers/delivery-worker.js'
import { createIntakeWorker } from './workers/intake-worker.js'
import { createResumeWorker } from './workers/resume-worker.js'
import { createTimerWorker } from './workers/timer-worker.js'
import type { WorkerDeps } from './workers/worker-deps.js'
import { randomUUID } from 'node:crypto'
import type { RedisClient } from '../engine/redis-client.js'
import { Keys } from '../engine/keys.js'
import { deliveryQueue, RESUME_QUEUE, TIMERS_QUEUE } from '../plugins/queue-names.js'
import type { Archiver } from './archiver.js'

const SWEEP_EVERY_MS = 2_000
/** Entries younger than this are still being dispatched by the process that committed them. */
const SWEEP_AFTER_MS = 3_000
const HEARTBEAT_EVERY_MS = 5_000
const HEARTBEAT_TTL_MS = 15_000

/**
 * Every worker of a `worker` process, plus the outbox sweeper (re-dispatches effects a crash
 * left behind) and a heartbeat that `/readyz` reads.
 */
export class WorkerPool {
  private workers: Worker[] = []
  private timers: NodeJS.Timeout[] = []
  private readonly id = randomUUID()
  private readonly keys: Keys

  constructor(
    private readonly deps: WorkerDeps,
    private readonly redis: RedisClient,
    /** Retention; every worker process ticks it, the lease lets one at a time work. */
    private readonly archiver: { archiver: Archiver; everyMs: number } | null = null,
  ) {
    this.keys = new Keys(deps.prefix)
  }

  start(): void {
    const channels = [...this.deps.channels.names()]
    this.workers = [
      createIntakeWorker(this.deps),
      ...this.deps.queues.partsOf(TIMERS_QUEUE).map((queue) => createTimerWorker(this.deps, queue)),
      ...this.deps.queues.partsOf(RESUME_QUEUE).map((queue) => createResumeWorker(this.deps, queue)),
      ...channels.flatMap((c) => this.deps.queues.partsOf(deliveryQueue(c)).map((queue) => createDeliveryWorker(c, this.deps, queue))),
    ]
    this.every(SWEEP_EVERY_MS, async () => {
      const swept = await this.deps.engine.sweepOutbox(SWEEP_AFTER_MS)
      if (swept > 0) this.deps.logger.warn({ swept }, 're-dispatched effects left in the outbox')
    })
    this.every(HEARTBEAT_EVERY_MS, () => this.beat())
    const retention = this.archiver
    if (retention) {
      this.every(retention.everyMs, async () => {
        await retention.archiver.tick()
      })
    }
    void this.beat().catch(() => undefined)
  }

  /** The BullMQ workers this pool runs (metrics listen to their job events). */
  get running(): readonly Worker[] {
    return this.workers
  }

  private every(ms: number, task: () => Promise<void>): void {
    let running = false
    const timer = setInterval(() => {
      if (running) return
      running = true
      task()
        .catch((error: unknown) => this.deps.logger.error({ err: error }, 'periodic task failed'))
        .finally(() => {
          running = false
        })
    }, ms)
    timer.unref()
    this.timers.push(timer)
  }

  private async beat(): Promise<void> {
    const now = Date.now()
    await this.redis.multi().zadd(this.keys.workers, now + HEARTBEAT_TTL_MS, this.id).zremrangebyscore(this.keys.workers, '-inf', now).exec()
  }

  /** Stops taking jobs, lets running ones finish (BullMQ returns unfinished ones to the queue). */
  async close(): Promise<void> {
    this.timers.forEach(clearInterval)
    this.timers = []
    await Promise.all(this.workers.map((w) => w.close()))
    this.workers = []
    // Another process may take over at once instead of waiting for the lease to lapse.
    await this.archiver?.archiver.release().catch(() => 0)
    await this.redis.zrem(this.keys.workers, this.id).catch(() => 0)
  }
}

export async function workersAlive(redis: RedisClient, prefix: string): Promise<number> {
  return redis.zcount(new Keys(prefix).workers, Date.now(), '+inf')
}
