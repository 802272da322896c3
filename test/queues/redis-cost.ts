/**
 * What a checkpoint costs Redis, measured on a redis-server of its own (nothing else talks to
 * it): commands per full lifecycle (create → delivered by email → answered → outcome mail →
 * webhook resume), grouped into Holdpoint's own and BullMQ's (every command run inside a Lua
 * script counted, as INFO commandstats does); bytes per pending checkpoint by key pattern;
 * and idle commands per second of a server+worker process and of a worker-only process.
 *
 *   npx tsx test/queues/redis-cost.ts            # all three
 *   npx tsx test/queues/redis-cost.ts lifecycle  # or: memory, idle
 */
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

async function holdpoint(e: Env, role: { server: boolean; worker: boolean }): Promise<{ runtime: Runtime; url: string; token: string }> {
  const port = await freePort()
  const config = loadConfig({ ...e.env, HOLDPOINT_PORT: String(port) }, PLUGINS) as ResolvedConfig
  const runtime = await startRuntime(config, { ...role, logger: createLogger('silent') })
  return { runtime, url: `http://127.0.0.1:${port}`, token: config.apiTokens[0]!.token }
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

async function commandCalls(admin: Redis): Promise<number> {
  let calls = 0
  for (const m of (await admin.info('commandstats')).matchAll(/calls=(\d+)/g)) calls += Number(m[1])
  return calls
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

function printTally(title: string, tally: Tally, per: number): void {
  const rows = [...tally.entries()].sort((a, b) => b[1] - a[1])
  const sum = (prefix: string) => rows.filter(([k]) => k.startsWith(prefix)).reduce((s, [, n]) => s + n, 0) / per
  process.stdout.write(`\n${title}: ${(sum('') ).toFixed(1)} commands per lifecycle (BullMQ ${sum('bullmq').toFixed(1)}, Holdpoint ${sum('holdpoint').toFixed(1)})\n`)
  for (const [k, n] of rows) process.stdout.write(`  ${(n / per).toFixed(1).padStart(7)}  ${k}\n`)
}

async function measureLifecycle(): Promise<void> {
  const e = await environment()
  const hp = await holdpoint(e, { server: true, worker: true })
  const admin = new Redis(e.redis.url)
  const queues = queueNames(PLUGINS)
  try {
    // Warm-up: scripts loaded, connections open, JIT.
    for (let i = 0; i < 3; i++) await lifecycle(e, hp)
    await sleep(500)
    const n = 20
    const before = await commandCalls(admin)
    const { tally, total, ms } = await monitored(e.redis.url, queues, async () => {
      for (let i = 0; i < n; i++) await lifecycle(e, hp)
    })
    const during = (await commandCalls(admin)) - before
    // The same span of idling, to take out what the process does anyway.
    const idleBefore = await commandCalls(admin)
    await sleep(ms)
    const idle = (await commandCalls(admin)) - idleBefore - 1
    process.stdout.write(`\n${n} lifecycles in ${Math.round(ms)} ms: ${total} commands by MONITOR, ${during} by commandstats; idle over the same span ${idle}\n`)
    process.stdout.write(`per lifecycle: ${((during - idle) / n).toFixed(1)} commands (commandstats, idle taken out)\n`)
    printTally('by group (MONITOR, idle not taken out)', tally, n)
  } finally {
    admin.disconnect()
    await hp.runtime.close()
    await e.close()
  }
}

/** Bytes per pending checkpoint by key pattern, from MEMORY USAGE of every key. */
async function measureMemory(): Promise<void> {
  const e = await environment()
  const hp = await holdpoint(e, { server: true, worker: true })
  const admin = new Redis(e.redis.url)
  const n = 500
  try {
    for (let i = 0; i < 3; i++) await lifecycle(e, hp)
    await sleep(1500)
    const keysBefore = new Set(await admin.keys('*'))
    const usedBefore = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1])
    const sizesBefore = new Map<string, number>()
    for (const key of keysBefore) sizesBefore.set(key, Number(await admin.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')))
    const mails = e.smtp.messages.length
    for (let i = 0; i < n; i += 25) {
      await Promise.all(Array.from({ length: Math.min(25, n - i) }, () => api(hp, 'POST', '/v1/checkpoints', refund(e.hook.url))))
    }
    await until(() => e.smtp.messages.length >= mails + n, 'every request mail', 60_000)
    await sleep(2000)
    const usedAfter = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))?.[1])
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
    const rows = [...byPattern.entries()].sort((a, b) => b[1] - a[1])
    const total = rows.reduce((s, [, v]) => s + v, 0)
    process.stdout.write(`\n${n} pending checkpoints (dashboard + email, delivered, 24 h deadline): used_memory +${Math.round((usedAfter - usedBefore) / n)} B each, MEMORY USAGE by key pattern +${Math.round(total / n)} B each\n`)
    for (const [k, v] of rows) process.stdout.write(`  ${String(Math.round(v / n)).padStart(6)}  ${k}\n`)
    const oneTimer = (await admin.zrange(`${PREFIX}:timers:delayed`, 0, 0)).map((id) => `${PREFIX}:timers:${id}`)[0]
    if (oneTimer) {
      const fields = (await admin.hgetall(oneTimer))
      process.stdout.write(`\na timer job (${oneTimer.length} B id): ${Object.entries(fields).map(([f, v]) => `${f}=${v.length}`).join(' ')}\n  data ${fields.data}\n  opts ${JSON.stringify(fields.opts)}\n`)
    }
  } finally {
    admin.disconnect()
    await hp.runtime.close()
    await e.close()
  }
}

async function measureIdle(): Promise<void> {
  const seconds = 30
  for (const role of [
    { name: 'server+worker', server: true, worker: true },
    { name: 'worker only', server: false, worker: true },
    { name: 'server only', server: true, worker: false },
  ]) {
    const e = await environment()
    const hp = await holdpoint(e, role)
    const admin = new Redis(e.redis.url)
    try {
      // A pending checkpoint (a delayed deadline) is the usual state of a timers queue.
      if (role.server) await api(hp, 'POST', '/v1/checkpoints', refund(e.hook.url))
      await sleep(5000)
      const before = await commandCalls(admin)
      const { tally } = await monitored(e.redis.url, queueNames(PLUGINS), async () => void (await sleep(seconds * 1000)))
      const calls = (await commandCalls(admin)) - before - 1
      process.stdout.write(`\nidle ${role.name}: ${(calls / seconds).toFixed(2)} commands/s over ${seconds} s\n`)
      for (const [k, v] of [...tally.entries()].sort((a, b) => b[1] - a[1])) process.stdout.write(`  ${(v / seconds).toFixed(2).padStart(6)}/s  ${k}\n`)
    } finally {
      admin.disconnect()
      await hp.runtime.close()
      await e.close()
    }
  }
}

const which = process.argv[2]
if (!which || which === 'lifecycle') await measureLifecycle()
if (!which || which === 'memory') await measureMemory()
if (!which || which === 'idle') await measureIdle()
process.exit(0)
