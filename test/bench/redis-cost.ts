/**
 * What a checkpoint costs Redis, measured on a redis-server of its own (nothing else talks to
 * it): commands per full lifecycle (create → delivered by email → answered → outcome mail →
 * webhook resume), grouped into Holdpoint's own and BullMQ's (every command run inside a Lua
 * script counted, as INFO commandstats does); bytes per pending checkpoint by key pattern;
 * and idle commands per second of a server+worker process and of a worker-only process.
 *
 * `npm run bench` runs all three (test/bench/run.ts); alone:
 *
 *   npx tsx test/bench/redis-cost.ts            # all three
 *   npx tsx test/bench/redis-cost.ts lifecycle  # or: memory, idle
 *   DETAIL=1 npx tsx test/bench/redis-cost.ts lifecycle   # every command inside every script
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { loadConfig, type ResolvedConfig } from '../../ops/config.js'
import { createLogger } from '../../ops/logger.js'
import { PLUGINS } from '../../ops/plugins.js'
import { startRuntime, type Runtime } from '../../ops/runtime.js'
import { queueNames } from '../../plugins/queue-names.js'
import { freePort } from '../support/free-port.js'
import { startRedisServer, type RedisProcess } from '../support/redis-process.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { commandCalls, usedMemory } from './redis-info.js'

const PREFIX = 'hp'
const EMAIL = 'ana@example.com'
const approval = { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] }
/** The README's refund example, with a dashboard and one email recipient. */
const refund = (webhook: string) => ({
  task: 'Refund $250 to cus_42?',
  payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Item arrived damaged' },
  responseSchema: approval,
  notify: ['dashboard', `email:${EMAIL}`],
  resume: { webhook: { url: webhook } },
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** SHA-1 of every BullMQ script → its name, to tell BullMQ's EVALSHAs from Holdpoint's. */
function bullmqScripts(): Map<string, string> {
  const require = createRequire(import.meta.url)
  const scripts = require('bullmq/dist/cjs/scripts/index.js') as Record<string, { name: string; content: string }>
  return new Map(Object.values(scripts).map((s) => [createHash('sha1').update(s.content).digest('hex'), s.name]))
}

interface Env {
  redis: RedisProcess
  smtp: SmtpSink
  hook: WebhookReceiver
  archive: string
  env: Record<string, string>
  close(): Promise<void>
}

async function environment(): Promise<Env> {
  const redis = await startRedisServer({ appendonly: false })
  const smtp = await startSmtpSink()
  const hook = await new WebhookReceiver().start()
  const archive = await mkdtemp(join(tmpdir(), 'hp-archive-'))
  const env = {
    REDIS_URL: redis.url,
    HOLDPOINT_KEY_PREFIX: PREFIX,
    HOLDPOINT_API_TOKENS: `agent:${randomBytes(18).toString('base64url')}`,
    HOLDPOINT_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    HOLDPOINT_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true',
    HOLDPOINT_RATE_LIMIT_API: '0',
    HOLDPOINT_ARCHIVE_DIR: archive,
    SMTP_URL: smtp.url,
    HOLDPOINT_EMAIL_FROM: 'Holdpoint <approvals@example.com>',
  }
  return {
    redis,
    smtp,
    hook,
    archive,
    env,
    async close() {
      await hook.close()
      await smtp.close()
      await redis.stop()
      await rm(archive, { recursive: true, force: true })
    },
  }
}

type Hp = { runtime: Runtime; url: string; token: string }

async function holdpoint(e: Env, role: { server: boolean; worker: boolean }): Promise<Hp> {
  const port = await freePort()
  const config = loadConfig({ ...e.env, HOLDPOINT_PORT: String(port) }, PLUGINS) as ResolvedConfig
  const runtime = await startRuntime(config, { ...role, logger: createLogger('silent') })
  return { runtime, url: `http://127.0.0.1:${port}`, token: config.apiTokens[0]!.token }
}

/** A Holdpoint of `role` on an environment of its own (Redis, SMTP sink, webhook receiver), torn down after `run`. */
async function withHoldpoint<T>(role: { server: boolean; worker: boolean }, run: (e: Env, hp: Hp, admin: Redis) => Promise<T>): Promise<T> {
  const e = await environment()
  const hp = await holdpoint(e, role)
  const admin = new Redis(e.redis.url)
  try {
    return await run(e, hp, admin)
  } finally {
    admin.disconnect()
    await hp.runtime.close()
    await e.close()
  }
}

async function api(hp: { url: string; token: string }, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(hp.url + path, {
    method,
    headers: { authorization: `Bearer ${hp.token}`, 'content-type': 'application/json' },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

async function until(probe: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** One lifecycle, waiting only on what arrives outside Redis (mails, the webhook), so the driver adds no commands. */
async function lifecycle(e: Env, hp: { url: string; token: string }): Promise<void> {
  const mails = e.smtp.messages.length
  const hooks = e.hook.received.length
  const created = await api(hp, 'POST', '/v1/checkpoints', refund(e.hook.url))
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${JSON.stringify(created.body)}`)
  await until(() => e.smtp.messages.length > mails, 'the request mail')
  // The delivery worker records `delivered` right after the SMTP server took the mail.
  await sleep(150)
  const answered = await api(hp, 'POST', `/v1/checkpoints/${created.body.id as string}/response`, { response: { approved: true }, actor: 'bench' })
  if (answered.status !== 200) throw new Error(`answer answered ${answered.status}`)
  await until(() => e.hook.received.length > hooks && e.smtp.messages.length > mails + 1, 'the webhook and the outcome mail')
  // The resume job's own bookkeeping (the `resumed` audit entry, finishing the job).
  await sleep(250)
}

type Tally = Map<string, number>
const add = (t: Tally, k: string, n = 1) => t.set(k, (t.get(k) ?? 0) + n)

/**
 * Commands by group from MONITOR. Redis reports a script's inner commands right after the
 * EVALSHA that ran them (source `lua`), so they count for that script.
 */
async function monitored(url: string, queues: readonly string[], run: () => Promise<void>): Promise<{ tally: Tally; total: number; ms: number }> {
  const scripts = bullmqScripts()
  const client = new Redis(url)
  const monitor = await client.monitor()
  const tally: Tally = new Map()
  const detail: Tally | null = process.env.DETAIL ? new Map() : null
  let script = 'holdpoint script ?'
  let total = 0
  const queueKey = (key: string | undefined) => key !== undefined && queues.some((q) => key.startsWith(`${PREFIX}:${q}:`))
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    const cmd = (args[0] ?? '').toUpperCase()
    if (cmd === 'MONITOR' || cmd === 'INFO') return
    total++
    if (source === 'lua') {
      add(tally, script)
      if (detail) add(detail, `${script} > ${cmd} ${(args[1] ?? '').split(':').slice(2).join(':').replace(/cp_.*/, '<job>')}`)
      return
    }
    let group: string
    if (cmd === 'EVALSHA' || cmd === 'EVAL') {
      const sha = cmd === 'EVAL' ? createHash('sha1').update(args[1] ?? '').digest('hex') : (args[1] ?? '')
      const name = scripts.get(sha)
      group = name ? `bullmq ${name}` : queueKey(args[3]) ? 'bullmq (other script)' : `holdpoint script ${args[3]?.split(':')[1] ?? '?'}`
    } else if (queueKey(args[1])) group = `bullmq ${cmd}`
    else group = `holdpoint ${cmd} ${args[1]?.split(':').slice(1, 2).join(':') ?? ''}`.trim()
    if (cmd === 'EVALSHA' || cmd === 'EVAL') script = group
    if (detail && (cmd === 'EVALSHA' || cmd === 'EVAL')) add(detail, `${group} (calls)`)
    add(tally, group)
  })
  const started = performance.now()
  await run()
  const ms = performance.now() - started
  await sleep(50)
  monitor.disconnect()
  client.disconnect()
  if (detail) for (const [k, v] of [...detail.entries()].sort((a, b) => b[1] - a[1])) process.stdout.write(`  detail ${v}  ${k}\n`)
  return { tally, total, ms }
}

export interface LifecycleCost {
  lifecycles: number
  /** commandstats over the run, less what the same span of idling costs. */
  perLifecycle: number
  /** MONITOR, by group (idle not taken out): BullMQ's scripts and commands, Holdpoint's own. */
  bullmq: number
  holdpoint: number
  groups: Array<[string, number]>
}

/** Commands per full lifecycle of the refund example (create → email → delivered → answer → outcome mail → webhook). */
export async function lifecycleCost(n = 20): Promise<LifecycleCost> {
  return withHoldpoint({ server: true, worker: true }, async (e, hp, admin) => {
    const queues = queueNames(PLUGINS)
    // Warm-up: scripts loaded, connections open, JIT.
    for (let i = 0; i < 3; i++) await lifecycle(e, hp)
    await sleep(500)
    const before = await commandCalls(admin)
    const { tally, ms } = await monitored(e.redis.url, queues, async () => {
      for (let i = 0; i < n; i++) await lifecycle(e, hp)
    })
    const during = (await commandCalls(admin)) - before
    // The same span of idling, to take out what the process does anyway.
    const idleBefore = await commandCalls(admin)
    await sleep(ms)
    const idle = (await commandCalls(admin)) - idleBefore - 1
    const rows = [...tally.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]): [string, number] => [k, round1(v / n)])
    const sum = (prefix: string) => round1(rows.filter(([k]) => k.startsWith(prefix)).reduce((t, [, v]) => t + v, 0))
    return { lifecycles: n, perLifecycle: round1((during - idle) / n), bullmq: sum('bullmq'), holdpoint: sum('holdpoint'), groups: rows }
  })
}

const round1 = (x: number) => Math.round(x * 10) / 10

export interface MemoryCost {
  pending: number
  /** INFO used_memory before and after, per pending checkpoint (includes fixed costs: scripts, dict growth). */
  usedMemoryPerPending: number
  /** MEMORY USAGE of every key that changed, by key pattern, per pending checkpoint. */
  byPatternPerPending: number
  byPattern: Array<[string, number]>
}

/** Bytes per pending checkpoint by key pattern, from MEMORY USAGE of every key. */
export async function memoryCost(n = 2000): Promise<MemoryCost> {
  return withHoldpoint({ server: true, worker: true }, async (e, hp, admin) => {
    for (let i = 0; i < 3; i++) await lifecycle(e, hp)
    await sleep(1500)
    const keysBefore = new Set(await admin.keys('*'))
    const usedBefore = (await usedMemory(admin))
    const sizesBefore = new Map<string, number>()
    for (const key of keysBefore) sizesBefore.set(key, Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')))
    const mails = e.smtp.messages.length
    for (let i = 0; i < n; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => api(hp, 'POST', '/v1/checkpoints', refund(e.hook.url))))
    }
    await until(() => e.smtp.messages.length >= mails + n, 'every request mail', 60_000)
    await sleep(2000)
    const usedAfter = (await usedMemory(admin))
    const byPattern: Tally = new Map()
    const queues = queueNames(PLUGINS)
    for (const key of await admin.keys('*')) {
      const size = Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0'))
      const delta = size - (sizesBefore.get(key) ?? 0)
      if (delta === 0) continue
      const rest = key.slice(PREFIX.length + 1)
      const queue = queues.find((q) => rest.startsWith(`${q}:`))
      let pattern: string
      if (queue) {
        const tail = rest.slice(queue.length + 1)
        const known = ['wait', 'active', 'delayed', 'completed', 'failed', 'events', 'meta', 'id', 'marker', 'stalled-check', 'prioritized', 'pc', 'stalled', 'paused', 'repeat']
        pattern = known.includes(tail) ? `${queue}:${tail}` : `${queue}:<job id> (job hash)`
      } else pattern = rest.replace(/cp_[A-Za-z0-9_-]+/g, '<id>').replace(/\{[^}]*\}/g, '{…}').replace(/<[^>]*@[^>]*>/g, '<message id>').replace(/(<id>)\.[\w-]+$/, '$1.<hash>')
      add(byPattern, pattern, delta)
    }
    const rows = [...byPattern.entries()].sort((x, y) => y[1] - x[1])
    const total = rows.reduce((t, [, v]) => t + v, 0)
    return {
      pending: n,
      usedMemoryPerPending: Math.round((usedAfter - usedBefore) / n),
      byPatternPerPending: Math.round(total / n),
      byPattern: rows.map(([k, v]): [string, number] => [k, Math.round(v / n)]).filter(([, v]) => v !== 0),
    }
  })
}

export interface IdleCost {
  role: string
  commandsPerSecond: number
  groups: Array<[string, number]>
}

/** Commands per second of an idle process (a pending deadline waiting), for each role. */
export async function idleCost(seconds = 30): Promise<IdleCost[]> {
  const out: IdleCost[] = []
  for (const role of [
    { name: 'server+worker', server: true, worker: true },
    { name: 'worker only', server: false, worker: true },
    { name: 'server only', server: true, worker: false },
  ]) {
    await withHoldpoint(role, async (e, hp, admin) => {
      // A pending checkpoint (a delayed deadline) is the usual state of a timers queue.
      if (role.server) await api(hp, 'POST', '/v1/checkpoints', refund(e.hook.url))
      await sleep(5000)
      const before = await commandCalls(admin)
      const { tally } = await monitored(e.redis.url, queueNames(PLUGINS), async () => void (await sleep(seconds * 1000)))
      const calls = (await commandCalls(admin)) - before - 1
      const groups = [...tally.entries()].sort((x, y) => y[1] - x[1]).map(([k, v]): [string, number] => [k, Math.round((v / seconds) * 100) / 100])
      out.push({ role: role.name, commandsPerSecond: Math.round((calls / seconds) * 100) / 100, groups })
    })
  }
  return out
}

export function lifecycleMarkdown(c: LifecycleCost): string {
  return [
    `Redis commands per full lifecycle of the refund example (dashboard + email, webhook resume; every command inside a script counted, as INFO commandstats does): **${c.perLifecycle}** (${c.lifecycles} lifecycles; by MONITOR: BullMQ ${c.bullmq}, Holdpoint ${c.holdpoint}).`,
    '',
    '| commands per lifecycle | group |',
    '|---:|---|',
    ...c.groups.filter(([, v]) => v >= 0.5).map(([k, v]) => `| ${v} | ${k} |`),
  ].join('\n')
}

export function memoryMarkdown(m: MemoryCost): string {
  return [
    `Redis per pending checkpoint of the refund example (dashboard + email, delivered, 24 h deadline; ${m.pending} pending, default-configured redis-server): **${m.byPatternPerPending} B** by MEMORY USAGE of every key; ${m.usedMemoryPerPending} B by used_memory (which also counts fixed costs: script cache, hash table growth).`,
    '',
    '| bytes per pending | key pattern |',
    '|---:|---|',
    ...m.byPattern.map(([k, v]) => `| ${v} | \`${k}\` |`),
  ].join('\n')
}

export function idleMarkdown(rows: readonly IdleCost[]): string {
  return [
    'Idle Redis commands per second, per process (one pending checkpoint waiting):',
    '',
    '| process | commands/s | mostly |',
    '|---|---:|---|',
    ...rows.map((r) => `| ${r.role} | ${r.commandsPerSecond} | ${r.groups.slice(0, 3).map(([k, v]) => `${k} ${v}`).join(', ')} |`),
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const which = process.argv[2]
  if (!which || which === 'lifecycle') process.stdout.write(`\n${lifecycleMarkdown(await lifecycleCost())}\n`)
  if (!which || which === 'memory') process.stdout.write(`\n${memoryMarkdown(await memoryCost(Number(process.argv[3] ?? 2000)))}\n`)
  if (!which || which === 'idle') process.stdout.write(`\n${idleMarkdown(await idleCost())}\n`)
  process.exit(0)
}
