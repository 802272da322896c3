import { Queue, type JobsOptions, type QueueOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { INTAKE_QUEUE } from '../plugins/queue-names.js'

/**
 * Every job writes 4-5 entries to its queue's event stream (added, waiting, active,
 * completed, drained), which BullMQ caps at about 10,000 by default. Nothing in Holdpoint reads
 * the internal queues' streams (metrics and Bull Board read job states, workers their own
 * events), so they are cut to about this many entries. Redis trims whole stream nodes
 * (100 entries each), so a stream holds between this many and 100 more. The intake queue keeps
 * BullMQ's default: its producers may wait for their job's result through its events.
 */
export const EVENTS_MAX_LEN = 100

/** Every queue Holdpoint owns, opened once per process over one shared connection. */
export class QueueSet {
  private readonly queues = new Map<string, Queue>()

  constructor(
    readonly connection: Redis,
    readonly prefix: string,
    /** Every queue this deployment owns (core, per channel, per plugin): what `all()` lists. */
    private readonly owned: readonly string[],
    private readonly onError: (error: Error, queue: string) => void = () => undefined,
  ) {}

  names(): readonly string[] {
    return this.owned
  }

  get(name: string): Queue {
    let queue = this.queues.get(name)
    if (!queue) {
      // No default job options: how long a finished job stays is its worker's setting
      // (plugins/worker-options.ts), so no job stores them.
      const streams: Pick<QueueOptions, 'streams'> = name === INTAKE_QUEUE ? {} : { streams: { events: { maxLen: EVENTS_MAX_LEN } } }
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix, ...streams })
      queue.on('error', (error) => this.onError(error, name))
      this.queues.set(name, queue)
    }
    return queue
  }

  all(): Queue[] {
    return this.owned.map((name) => this.get(name))
  }

  async add(name: string, jobName: string, data: object, opts: JobsOptions): Promise<void> {
    await this.get(name).add(jobName, data, opts)
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()))
    this.queues.clear()
  }
}
