import type { Keys } from './keys.js'
import { closeClient, isCluster, type RedisClient } from './redis-client.js'

/** What every commit announces on the changes channel (see commitCheckpoint). */
export interface Change {
  id: string
  state: string
  version: number
}

type Listener = (change: Change) => void

/**
 * One pub/sub subscription per process, fanned out to local listeners (long-polls, live
 * dashboards). Because the message comes from Redis, an answer committed by any server or
 * worker process wakes waiters in every process.
 *
 * On a Cluster the commits SPUBLISH on one channel per shard and this feed SSUBSCRIBEs to all
 * of them (the subscriber is a Cluster client with `shardedSubscribers`: one connection per
 * master, re-subscribed when slots move or a master comes back).
 */
export class ChangeFeed {
  private readonly byId = new Map<string, Set<Listener>>()
  private readonly any = new Set<Listener>()
  private readonly channels: ReadonlySet<string>
  private started: Promise<void> | null = null

  constructor(
    private readonly subscriber: RedisClient,
    keys: Keys,
  ) {
    this.channels = new Set(keys.allChanges())
  }

  start(): Promise<void> {
    this.started ??= (async () => {
      const sharded = isCluster(this.subscriber)
      this.subscriber.on(sharded ? 'smessage' : 'message', (channel: string, message: string) => {
        if (!this.channels.has(channel)) return
        let change: Change
        try {
          change = JSON.parse(message) as Change
        } catch {
          return
        }
        this.byId.get(change.id)?.forEach((l) => l(change))
        this.any.forEach((l) => l(change))
      })
      // One SSUBSCRIBE per channel: each names its own slot (and so its own master).
      if (sharded) for (const channel of this.channels) await this.subscriber.ssubscribe(channel)
      else await this.subscriber.subscribe(...this.channels)
    })()
    return this.started
  }

  /** Listens to one checkpoint's changes; returns the function that stops listening. */
  watch(id: string, listener: Listener): () => void {
    let set = this.byId.get(id)
    if (!set) this.byId.set(id, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.byId.delete(id)
    }
  }

  watchAll(listener: Listener): () => void {
    this.any.add(listener)
    return () => this.any.delete(listener)
  }

  /** Number of local listeners, for metrics and leak tests. */
  get listenerCount(): number {
    let n = this.any.size
    this.byId.forEach((s) => (n += s.size))
    return n
  }

  async close(): Promise<void> {
    this.byId.clear()
    this.any.clear()
    await closeClient(this.subscriber)
  }
}
