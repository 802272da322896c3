import { Redis } from 'ioredis'
import { createTransport } from 'nodemailer'
import type { Config } from './config.js'

export interface Check {
  name: string
  ok: boolean
  detail: string
  /** What to change, when not ok. */
  fix?: string
}

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

async function slackCheck(config: Config): Promise<Check> {
  try {
    const res = await fetch(new URL('auth.test', config.env.SLACK_API_URL), { method: 'POST', headers: { authorization: `Bearer ${config.env.SLACK_BOT_TOKEN ?? ''}` } })
    const body = (await res.json()) as { ok?: boolean; error?: string; team?: string; user?: string }
    if (body.ok) return { name: 'slack', ok: true, detail: `auth.test ok (team ${body.team ?? '?'}, bot ${body.user ?? '?'})` }
    return { name: 'slack', ok: false, detail: `auth.test: ${body.error ?? `HTTP ${res.status}`}`, fix: 'set SLACK_BOT_TOKEN to the app’s Bot User OAuth Token (xoxb-…), see docs/slack.md' }
  } catch (error) {
    return { name: 'slack', ok: false, detail: `cannot reach ${config.env.SLACK_API_URL}: ${(error as Error).message}`, fix: 'check SLACK_API_URL and outbound network access' }
  }
}

async function telegramCheck(config: Config): Promise<Check> {
  const root = config.env.TELEGRAM_API_ROOT.replace(/\/$/, '')
  try {
    const res = await fetch(`${root}/bot${config.env.TELEGRAM_BOT_TOKEN ?? ''}/getMe`)
    const body = (await res.json()) as { ok?: boolean; description?: string; result?: { username?: string } }
    if (body.ok) return { name: 'telegram', ok: true, detail: `getMe ok (@${body.result?.username ?? '?'}, ${config.env.TELEGRAM_MODE} mode)` }
    return { name: 'telegram', ok: false, detail: `getMe: ${body.description ?? `HTTP ${res.status}`}`, fix: 'set TELEGRAM_BOT_TOKEN to the token BotFather gave you, see docs/telegram.md' }
  } catch (error) {
    // The token is part of the URL: never echo the URL.
    return { name: 'telegram', ok: false, detail: `cannot reach the Bot API: ${(error as Error).message}`, fix: 'check TELEGRAM_API_ROOT and outbound network access' }
  }
}

async function smtpCheck(config: Config): Promise<Check> {
  const transport = createTransport(config.env.SMTP_URL ?? '')
  try {
    await transport.verify()
    return { name: 'smtp', ok: true, detail: `connected and authenticated, sending as ${config.env.HOLDPOINT_EMAIL_FROM ?? '?'}` }
  } catch (error) {
    return { name: 'smtp', ok: false, detail: (error as Error).message, fix: 'check SMTP_URL (smtp://user:pass@host:port or smtps://…), see docs/email.md' }
  } finally {
    transport.close()
  }
}

/** Each configured channel's credentials, checked against the provider itself. */
export async function channelChecks(config: Config): Promise<Check[]> {
  const checks: Array<Promise<Check>> = []
  if (config.env.SLACK_BOT_TOKEN) checks.push(slackCheck(config))
  if (config.env.TELEGRAM_BOT_TOKEN) checks.push(telegramCheck(config))
  if (config.env.SMTP_URL) checks.push(smtpCheck(config))
  return Promise.all(checks)
}

export function formatChecks(checks: Check[]): string {
  return checks.map((c) => `${c.ok ? 'ok  ' : 'FIX '} ${c.name}: ${c.detail}${!c.ok && c.fix ? `\n       → ${c.fix}` : ''}`).join('\n')
}
