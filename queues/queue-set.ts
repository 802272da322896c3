import { Queue, type JobsOptions } from 'bullmq'
import type { Keys } from '../engine/keys.js'
import type { RedisClient } from '../engine/redis-client.js'
import type { JobQueues } from '../plugins/plugin.js'
import { RESUME_QUEUE, TIMERS_QUEUE } from '../plugins/queue-names.js'

/**
 * Kept completed jobs are what makes re-dispatch harmless: BullMQ refuses a job id it still
 * holds. An hour is far longer than the sweeper's window, and short enough to cost little.
 */
export const KEEP_COMPLETED = { age: 60 * 60 }
export const KEEP_FAILED = { age: 60 * 60 * 24 * 14 }

/**
 * On a Cluster the busiest queues (timers, resumes, deliveries: jobs for every checkpoint)
 * are split into this many sub-queues, each on a hash tag in its own third of the slots, so
 * that no single master carries all of their jobs.
 */
export const CLUSTER_SUBQUEUES = 3

function splitOnCluster(name: string): boolean {
  return name === TIMERS_QUEUE || name === RESUME_QUEUE || name.startsWith('deliver-')
}

/**
 * Every queue Holdpoint owns, opened once per process over one shared connection.
 *
 * On one Redis every queue lives under BullMQ prefix = HOLDPOINT_KEY_PREFIX with its plain
 * name, as always. On a Cluster (BullMQ's rule: all keys of one queue in one slot) each queue
 * gets its own hash-tagged prefix (`<prefix>:{<name>}`), and the timer, resume and delivery queues are
 * split into sub-queues `<name>.0` … `<name>.<n-1>`; a checkpoint's jobs always go to the same
 * sub-queue (by its shard), so job-id dedupe per checkpoint holds.
 */
export class QueueSet implements JobQueues {
  private readonly queues = new Map<string, Queue>()
  private readonly parts = new Map<string, readonly string[]>()
  private readonly prefixes = new Map<string, string>()

  constructor(
    readonly connection: RedisClient,
    readonly keys: Keys,
    /** Every queue this deployment owns (core, per channel, per plugin), before any split. */
    owned: readonly string[],
    private readonly onError: (error: Error, queue: string) => void = () => undefined,
  ) {
    for (const base of owned) {
      const split = keys.cluster && splitOnCluster(base)
      const names = split ? Array.from({ length: CLUSTER_SUBQUEUES }, (_, i) => `${base}.${i}`) : [base]
      this.parts.set(base, names)
      names.forEach((name, i) => this.prefixes.set(name, split ? keys.spreadGroup(base, i, CLUSTER_SUBQUEUES) : keys.group(name)))
    }
  }

  /** Every queue as BullMQ knows it (sub-queues, not the names they were split from). */
  names(): readonly string[] {
    return [...this.prefixes.keys()]
  }

  /** The queues `base` is split into: `[base]` itself unless it is split. */
  partsOf(base: string): readonly string[] {
    return this.parts.get(base) ?? [base]
  }

  /** The BullMQ prefix of a queue (workers of it must use the same). */
  prefixOf(name: string): string {
    return this.prefixes.get(name) ?? this.keys.group(name)
  }

  get(name: string): Queue {
    const parts = this.partsOf(name)
    if (parts.length > 1 || parts[0] !== name) throw new Error(`queue ${name} is split into ${parts.join(', ')}: use forCheckpoint`)
    let queue = this.queues.get(name)
    if (!queue) {
      queue = new Queue(name, {
        connection: this.connection,
        prefix: this.prefixOf(name),
        defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
      })
      queue.on('error', (error) => this.onError(error, name))
      this.queues.set(name, queue)
    }
    return queue
  }

  /** The queue of `base` that holds this checkpoint's jobs. */
  forCheckpoint(base: string, checkpointId: string): Queue {
    const parts = this.partsOf(base)
    return this.get(parts.length === 1 ? parts[0]! : parts[this.keys.shardOf(checkpointId) % parts.length]!)
  }

  all(): Queue[] {
    return this.names().map((name) => this.get(name))
  }

  /** Adds a job; a split queue's job goes to its checkpoint's sub-queue (`data.checkpointId`). */
  async add(base: string, jobName: string, data: object, opts: JobsOptions): Promise<void> {
    const checkpointId = (data as { checkpointId?: unknown }).checkpointId
    const queue = this.partsOf(base).length === 1 ? this.get(base) : this.forCheckpoint(base, typeof checkpointId === 'string' ? checkpointId : '')
    await queue.add(jobName, data, opts)
  }

  /** The queue and job id a BullMQ key belongs to (`<prefix>:<queue>:<job id>[:…]`), if any. */
  jobOfKey(key: string): { queue: string; jobId: string } | null {
    for (const [queue, prefix] of this.prefixes) {
      const head = `${prefix}:${queue}:`
      if (key.startsWith(head)) return { queue, jobId: key.slice(head.length).split(':')[0]! }
    }
    return null
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()))
    this.queues.clear()
  }
}
