import { Redis } from 'ioredis'
import type { DoctorCheck } from '../plugins/plugin.js'
import type { Config } from './config.js'

/** One line of the report; plugins' own checks have the same shape. */
export type Check = DoctorCheck

const MIN_REDIS = [6, 2]

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

/** Redis: reachable, recent enough for BullMQ, and set up not to lose or evict state. */
export async function redisChecks(url: string): Promise<Check[]> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => null })
  redis.on('error', () => undefined)
  try {
    await redis.connect()
  } catch (error) {
    return [{ name: 'redis', ok: false, detail: `cannot connect: ${(error as Error).message}`, fix: 'set REDIS_URL to a Redis that answers (docker compose up -d redis)' }]
  }
  try {
    const info = await redis.info('server')
    const version = /redis_version:([\d.]+)/.exec(info)?.[1] ?? 'unknown'
    const checks: Check[] = [
      { name: 'redis version', ok: versionAtLeast(version, MIN_REDIS), detail: version, fix: `upgrade to Redis ${MIN_REDIS.join('.')} or later (BullMQ needs it)` },
    ]
    const unreadable = (name: string): Check => ({ name, ok: false, detail: 'CONFIG GET is not allowed here', fix: `check ${name} with your Redis provider` })
    const policy = await configValue(redis, 'maxmemory-policy')
    checks.push(policy === null ? unreadable('maxmemory-policy') : { name: 'maxmemory-policy', ok: policy === 'noeviction', detail: policy, fix: 'CONFIG SET maxmemory-policy noeviction (an evicting Redis silently drops checkpoints and jobs)' })
    const aof = await configValue(redis, 'appendonly')
    checks.push(aof === null ? unreadable('appendonly') : { name: 'appendonly (AOF)', ok: aof === 'yes', detail: aof, fix: 'run Redis with --appendonly yes so a restart keeps every checkpoint' })
    const fsync = await configValue(redis, 'appendfsync')
    if (fsync !== null) checks.push({ name: 'appendfsync', ok: fsync === 'everysec' || fsync === 'always', detail: fsync, fix: 'use --appendfsync everysec (or always to lose nothing acknowledged)' })
    const hz = await configValue(redis, 'hz')
    checks.push(hz === null ? unreadable('hz') : { name: 'hz', ok: Number(hz) >= 50, detail: hz, fix: 'run Redis with --hz 100 so expiring locks and delayed jobs are noticed promptly' })
    return checks
  } finally {
    redis.disconnect()
  }
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
