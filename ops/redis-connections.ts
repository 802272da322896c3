import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis'
import { CLUSTER, Keys, STANDALONE, type KeyLayout } from '../engine/keys.js'
import type { RedisClient } from '../engine/redis-client.js'
import type { Config } from './config.js'

/** What a connection is for: each use has its own settings, on one Redis and on a Cluster alike. */
export type ConnectionUse =
  /** Engine state and every store: auto-pipelined, commands retried over short outages. */
  | 'state'
  /** BullMQ: blocking commands, so no per-request retry limit (BullMQ requires null). */
  | 'queues'
  /** The change feed's subscriber (sharded pub/sub on a Cluster). */
  | 'subscriber'
  /** A CLI command: fails fast instead of waiting for a Redis that is not there. */
  | 'command'

const OPTIONS: Record<ConnectionUse, RedisOptions> = {
  state: { enableAutoPipelining: true },
  queues: { maxRetriesPerRequest: null },
  subscriber: {},
  command: { maxRetriesPerRequest: 1, connectTimeout: 5_000, retryStrategy: () => null },
}

/**
 * The one place Redis connections are made, from configuration: `REDIS_URL` (one server or
 * Sentinel, through ioredis URL options) or, with HOLDPOINT_REDIS_CLUSTER_NODES, an ioredis
 * `Cluster` over those seed nodes. Runtime, CLI commands, the doctor and Bull Board all open
 * their connections here, so all of them agree on the key layout too.
 */
export class RedisConnections {
  readonly layout: KeyLayout

  constructor(private readonly config: Pick<Config, 'redisUrl' | 'redisCluster' | 'keyPrefix'>) {
    this.layout = config.redisCluster ? CLUSTER : STANDALONE
  }

  /** The deployment's keys, laid out for the Redis it runs on. */
  keys(): Keys {
    return new Keys(this.config.keyPrefix, this.layout)
  }

  open(use: ConnectionUse): RedisClient {
    const options = OPTIONS[use]
    const nodes = this.config.redisCluster
    if (!nodes) return new Redis(this.config.redisUrl, options)
    const cluster: ClusterOptions = {
      redisOptions: options,
      // The commit and removal scripts take a variable number of keys, so their first argument
      // is the key count: auto-pipelining would route them by that number's slot.
      ...(use === 'state' && { enableAutoPipelining: true, autoPipeliningIgnoredCommands: ['commitCheckpoint', 'removeArchived'] }),
      ...(use === 'subscriber' && { shardedSubscribers: true }),
      // A master that restarts on its address (no replica took over) is reconnected to,
      // instead of waiting for a MOVED that never comes.
      clusterNodeRetryStrategy: (times) => Math.min(100 * times, 2_000),
      ...(use === 'command' ? { clusterRetryStrategy: () => null } : { clusterRetryStrategy: (times) => Math.min(100 * times, 2_000) }),
      // Scripts and MULTI need the master; reads go there too (no stale reads of a checkpoint).
      scaleReads: 'master',
    }
    return new Cluster(nodes, cluster)
  }
}
