import { Cluster, type Redis } from 'ioredis'

/**
 * A connection to the Redis that holds Holdpoint's state: one server (`REDIS_URL`, Sentinel
 * included) or a Redis Cluster (`HOLDPOINT_REDIS_CLUSTER_NODES`). Both speak the same
 * commands; on a Cluster every command, MULTI and script must keep its keys in one slot,
 * which the key layout (engine/keys.ts) arranges.
 */
export type RedisClient = Redis | Cluster

export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster
}

/**
 * Where a keyspace-wide command (SCAN, DBSIZE) must go: every master of a Cluster, each of
 * which answers for its own slots only, or the one server.
 */
export function masters(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client]
}

/**
 * QUIT, but never waiting longer than `ms`: a Cluster whose master is down (or restarting)
 * may not answer, and a shutdown must not hang on it. Then the connection is dropped.
 */
export async function closeClient(client: RedisClient, ms = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const quit = client.quit().then(
    () => undefined,
    () => undefined,
  )
  await Promise.race([quit, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))])
  clearTimeout(timer)
  client.disconnect()
}
