import type { Redis } from 'ioredis'
import { isCluster, masters } from '../engine/redis-client.js'
import type { DoctorCheck } from '../plugins/plugin.js'
import type { Config } from './config.js'
import { RedisConnections } from './redis-connections.js'

/** One line of the report; plugins' own checks have the same shape. */
export type Check = DoctorCheck

const MIN_REDIS = [6, 2]
/** Sharded pub/sub (SPUBLISH/SSUBSCRIBE), which the change feed uses on a Cluster. */
const MIN_REDIS_CLUSTER = [7, 0]

function versionAtLeast(version: string, min: number[]): boolean {
  const parts = version.split('.').map(Number)
  for (let i = 0; i < min.length; i++) {
    const have = parts[i] ?? 0
    const want = min[i] ?? 0
    if (have !== want) return have > want
  }
  return true
}

async function configValue(redis: Redis, name: string): Promise<string | null> {
  try {
    const reply = (await redis.call('CONFIG', 'GET', name)) as string[]
    return reply[1] ?? null
  } catch {
    return null
  }
}

/**
 * Redis: reachable, recent enough for BullMQ (and sharded pub/sub on a Cluster), and set up
 * not to lose or evict state. On a Cluster every master is checked, and the cluster's state.
 */
export async function redisChecks(config: Pick<Config, 'redisUrl' | 'redisCluster' | 'keyPrefix'>): Promise<Check[]> {
  const client = new RedisConnections(config).open('command')
  client.on('error', () => undefined)
  try {
    if (isCluster(client)) {
      await new Promise<void>((resolve, reject) => {
        client.once('ready', resolve)
        client.once('end', () => reject(new Error('no seed node answered')))
        client.once('error', reject)
      })
    } else await client.ping()
  } catch (error) {
    const where = config.redisCluster ? 'HOLDPOINT_REDIS_CLUSTER_NODES' : 'REDIS_URL'
    client.disconnect()
    return [{ name: 'redis', ok: false, detail: `cannot connect: ${(error as Error).message}`, fix: `set ${where} to a Redis that answers (docker compose up -d redis)` }]
  }
  try {
    const checks: Check[] = []
    if (isCluster(client)) {
      const info = String(await client.cluster('INFO'))
      const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? 'unknown'
      checks.push({ name: 'cluster state', ok: state === 'ok', detail: state, fix: 'every slot needs a master that answers (redis-cli --cluster check <node>)' })
    }
    for (const node of masters(client)) checks.push(...(await nodeChecks(node, isCluster(client) ? ` (${node.options.host ?? '?'}:${node.options.port ?? '?'})` : '')))
    return checks
  } finally {
    client.disconnect()
  }
}

async function nodeChecks(redis: Redis, at: string): Promise<Check[]> {
  const cluster = at !== ''
  const info = await redis.info('server')
  const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? 'unknown'
  const min = cluster ? MIN_REDIS_CLUSTER : MIN_REDIS
  const checks: Check[] = [
    { name: `redis version${at}`, ok: versionAtLeast(version, min), detail: version, fix: `upgrade to Redis ${min.join('.')} or later (${cluster ? 'sharded pub/sub on a Cluster' : 'BullMQ needs it'})` },
  ]
  const unreadable = (name: string): Check => ({ name, ok: false, detail: 'CONFIG GET is not allowed here', fix: `check ${name} with your Redis provider` })
  const policy = await configValue(redis, 'maxmemory-policy')
  checks.push(policy === null ? unreadable(`maxmemory-policy${at}`) : { name: `maxmemory-policy${at}`, ok: policy === 'noeviction', detail: policy, fix: 'CONFIG SET maxmemory-policy noeviction (an evicting Redis silently drops checkpoints and jobs)' })
  const aof = await configValue(redis, 'appendonly')
  checks.push(aof === null ? unreadable(`appendonly (AOF)${at}`) : { name: `appendonly (AOF)${at}`, ok: aof === 'yes', detail: aof, fix: 'run Redis with --appendonly yes so a restart keeps every checkpoint' })
  const fsync = await configValue(redis, 'appendfsync')
  if (fsync !== null) checks.push({ name: `appendfsync${at}`, ok: fsync === 'everysec' || fsync === 'always', detail: fsync, fix: 'use --appendfsync everysec (or always to lose nothing acknowledged)' })
  const hz = await configValue(redis, 'hz')
  checks.push(hz === null ? unreadable(`hz${at}`) : { name: `hz${at}`, ok: Number(hz) >= 50, detail: hz, fix: 'run Redis with --hz 100 so expiring locks and delayed jobs are noticed promptly' })
  return checks
}

/** Each configured channel's credentials, checked against the provider itself. */
export async function channelChecks(config: Config): Promise<Check[]> {
  const checks: Array<Promise<Check>> = []
  for (const loaded of config.plugins) {
    // A plugin none of whose variables is set is simply not in use; a half-configured one is worth a line.
    const touched = loaded.plugin.variables.some((v) => config.source[v] !== undefined)
    if (loaded.off !== null && touched) checks.push(Promise.resolve({ name: loaded.plugin.name, ok: false, detail: 'off', fix: loaded.off }))
    const live = loaded.off === null || touched ? loaded.doctor() : null
    if (live) checks.push(live)
  }
  return Promise.all(checks)
}

export function formatChecks(checks: Check[]): string {
  return checks.map((c) => `${c.ok ? 'ok  ' : 'FIX '} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n       → ${c.fix}` : ''}`).join('\n')
}
