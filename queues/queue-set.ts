import { Queue, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'

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
      queue = new Queue(name, { connection: this.connection, prefix: this.prefix })
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
