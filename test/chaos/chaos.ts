/**
 * Crash and chaos: hundreds of checkpoints in flight across channels while server and worker
 * processes are SIGKILLed at random moments and Redis itself is killed at least once; then
 * every invariant that makes Holdpoint durable is checked. `npm run chaos` runs the full
 * version; test/chaos.test.ts runs a small one in CI.
 *
 * Redis runs with AOF `appendfsync always` so that "acknowledged" means "on disk": with
 * `everysec`, a Redis kill may lose the last second of acknowledged writes (see README).
 */
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { verifyWebhook } from '../../sdk/webhook.js'
import { freePort } from '../support/free-port.js'
import { randomPrefix, testSecrets } from '../support/holdpoint.js'
import { startRedisServer } from '../support/redis-process.js'
import { startSmtpSink } from '../support/smtp-sink.js'
import { spawnHoldpoint, type HoldpointProcess } from '../support/spawn-holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

export interface ChaosOptions {
  checkpoints: number
  servers: number
  workers: number
  /** Stop killing after this long; the load usually finishes first. */
  maxChaosMs: number
  log?: (line: string) => void
}

export interface ChaosReport {
  checkpoints: number
  kills: { server: number; worker: number; redis: number }
  webhooksReceived: number
  webhookRetries: number
  emailsExpected: number
  emailsReceived: number
  duplicateEmails: number
  violations: string[]
  seconds: number
}

type Kind = 'approve' | 'reject' | 'cancel' | 'timeout'
const KINDS: Kind[] = ['approve', 'reject', 'cancel', 'timeout']
const approval = { type: 'object', properties: { approved: { type: 'boolean' }, note: { type: 'string' } }, required: ['approved'] }
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const jitter = (min: number, max: number) => min + Math.random() * (max - min)

interface Slot {
  role: 'server' | 'worker'
  env: Record<string, string>
  proc: HoldpointProcess
}

export async function runChaos(opts: ChaosOptions): Promise<ChaosReport> {
  const log = opts.log ?? (() => undefined)
  const started = Date.now()
  const redis = await startRedisServer({ appendonly: true, appendfsync: 'always' })
  const smtp = await startSmtpSink()
  const receiver = await new WebhookReceiver().start()
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    // Nothing here finishes long enough ago to be archived; production requires the choice.
    HOLDPOINT_ARCHIVE: 'off',
    REDIS_URL: redis.url,
    HOLDPOINT_KEY_PREFIX: randomPrefix(),
    ...testSecrets(),
    HOLDPOINT_JOB_LOCK_MS: '1000',
    HOLDPOINT_RESUME_FIRST_DELAY_MS: '200',
    HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true',
    // The clients here poll hard on purpose; the per-token limit would only add 429s.
    HOLDPOINT_RATE_LIMIT_API: '0',
    SMTP_URL: smtp.url,
    HOLDPOINT_EMAIL_FROM: 'holdpoint@example.com',
    HOLDPOINT_LOG_LEVEL: 'fatal',
  }
  const token = env.HOLDPOINT_API_TOKENS!.split(',')[0]!.split(':')[1]!
  const slots: Slot[] = []
  for (let i = 0; i < opts.servers; i++) {
    const port = String(await freePort())
    const slotEnv = { ...env, HOLDPOINT_PORT: port, HOLDPOINT_PUBLIC_URL: `http://127.0.0.1:${port}` }
    slots.push({ role: 'server', env: slotEnv, proc: spawnHoldpoint('server', slotEnv) })
  }
  for (let i = 0; i < opts.workers; i++) slots.push({ role: 'worker', env, proc: spawnHoldpoint('worker', env) })
  const servers = slots.filter((s) => s.role === 'server').map((s) => `http://127.0.0.1:${s.env.HOLDPOINT_PORT}`)
  const kills = { server: 0, worker: 0, redis: 0 }
  const violations: string[] = []

  /** A client that keeps going while processes die: any server, retried until it answers. */
  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
    const deadline = Date.now() + 120_000
    for (;;) {
      const base = servers[Math.floor(Math.random() * servers.length)]!
      try {
        const res = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(10_000),
        })
        const text = await res.text()
        if (res.status < 500) return { status: res.status, body: text ? JSON.parse(text) : null }
      } catch {
        // the server died under us: try another
      }
      if (Date.now() > deadline) throw new Error(`${method} ${path} kept failing for 120 s`)
      await sleep(jitter(50, 250))
    }
  }

  try {
    await waitReady(servers)
    let chaosOn = true
    const monkey = (async () => {
      const until = Date.now() + opts.maxChaosMs
      let redisKilled = false
      while (chaosOn && Date.now() < until) {
        await sleep(jitter(300, 1200))
        if (!chaosOn) break
        if (!redisKilled && Date.now() - started > opts.maxChaosMs * 0.25) {
          redisKilled = true
          kills.redis++
          log('chaos: SIGKILL redis')
          await redis.kill()
          await sleep(jitter(200, 800))
          await redis.restart()
          continue
        }
        const slot = slots[Math.floor(Math.random() * slots.length)]!
        kills[slot.role]++
        log(`chaos: SIGKILL a ${slot.role}`)
        await slot.proc.kill()
        await sleep(jitter(100, 700))
        slot.proc = spawnHoldpoint(slot.role, slot.env)
      }
    })()

    const plan = Array.from({ length: opts.checkpoints }, (_, i) => ({ i, kind: KINDS[i % KINDS.length]!, email: i % 2 === 0 ? `user${i}@example.com` : null }))
    const ids = new Map<number, string>()
    let done = 0
    await Promise.all(
      Array.from({ length: 16 }, async (_, worker) => {
        for (let n = worker; n < plan.length; n += 16) {
          const p = plan[n]!
          const created = await call(
            'POST',
            '/v1/checkpoints',
            {
              task: `Chaos ${p.i}`,
              payload: { i: p.i },
              responseSchema: approval,
              notify: p.email ? ['dashboard', `email:${p.email}`] : ['dashboard'],
              resume: { webhook: { url: receiver.url } },
              ...(p.kind === 'timeout' && { timeoutSeconds: 2, onTimeout: { response: { approved: false, note: 'default' } } }),
            },
            { 'idempotency-key': `chaos-${p.i}` },
          )
          if (created.status !== 201 && created.status !== 200) throw new Error(`create ${p.i} answered ${created.status}: ${JSON.stringify(created.body)}`)
          const id = created.body.id as string
          ids.set(p.i, id)
          if (p.email) {
            // Answer only once the email went out, so "every notification arrived" is checkable.
            for (let t = 0; t < 600; t++) {
              const got = await call('GET', `/v1/checkpoints/${id}`)
              if ((got.body.deliveredTo as string[]).includes(`email:${p.email}`)) break
              await sleep(100)
            }
          }
          // Spread the decisions over the chaos window, so kills land mid-lifecycle.
          await sleep(jitter(0, (1.4 * opts.maxChaosMs) / Math.ceil(plan.length / 16)))
          if (p.kind === 'approve' || p.kind === 'reject') {
            const res = await call('POST', `/v1/checkpoints/${id}/response`, { response: { approved: p.kind === 'approve' }, actor: `person-${p.i}` })
            if (res.status !== 200 && !(res.status === 409 && res.body.reason === 'terminal')) violations.push(`answer ${id} answered ${res.status}`)
          } else if (p.kind === 'cancel') {
            const res = await call('POST', `/v1/checkpoints/${id}/cancel`, { reason: 'chaos' })
            if (res.status !== 200 && res.status !== 409) violations.push(`cancel ${id} answered ${res.status}`)
          }
          done++
          if (done % 25 === 0) log(`load: ${done}/${plan.length}`)
        }
      }),
    )
    chaosOn = false
    await monkey
    // Everything running again; give retries, sweepers and stalled-job recovery time to finish.
    for (const slot of slots) if (slot.proc.child.exitCode !== null || slot.proc.child.signalCode !== null) slot.proc = spawnHoldpoint(slot.role, slot.env)
    log('chaos over; waiting for every checkpoint to settle')

    const expected: Record<Kind, { state: string; approved: boolean | null }> = {
      approve: { state: 'resolved', approved: true },
      reject: { state: 'resolved', approved: false },
      cancel: { state: 'cancelled', approved: null },
      timeout: { state: 'resolved', approved: false },
    }
    const settleDeadline = Date.now() + 90_000
    for (const p of plan) {
      const id = ids.get(p.i)!
      let cp: any
      while (Date.now() < settleDeadline) {
        cp = (await call('GET', `/v1/checkpoints/${id}`)).body
        const hooks = receiver.received.filter((h) => h.body.includes(id))
        if (cp.state === expected[p.kind].state && hooks.length > 0) break
        await sleep(200)
      }
      if (cp.state !== expected[p.kind].state) violations.push(`${id} (${p.kind}) ended ${cp.state}`)
      if (expected[p.kind].approved !== null && cp.response?.approved !== expected[p.kind].approved) violations.push(`${id} (${p.kind}) has response ${JSON.stringify(cp.response)}`)
      if (p.kind === 'timeout' && cp.respondedBy?.default !== true) violations.push(`${id} timed out without the default attribution`)
      const hooks = receiver.received.filter((h) => h.body.includes(`"checkpointId":"${id}"`))
      if (hooks.length === 0) violations.push(`${id} never resumed its agent`)
      const hookIds = new Set(hooks.map((h) => h.headers['webhook-id']))
      if (hookIds.size > 1 || (hooks.length > 0 && !hookIds.has(`msg_${id}`))) violations.push(`${id} resumes carried ids ${[...hookIds].join(', ')}`)
      const audit = (await call('GET', `/v1/checkpoints/${id}/audit`)).body
      if (!audit.chain.intact) violations.push(`${id} audit chain broken at ${audit.chain.brokenAt}`)
      const kinds = (audit.entries as Array<{ kind: string }>).map((e) => e.kind)
      const count = (k: string) => kinds.filter((x) => x === k).length
      if (count('created') !== 1) violations.push(`${id} created ${count('created')} times`)
      const decisive = count('answered') + count('cancelled') + count('timed_out')
      if (decisive !== 1) violations.push(`${id} has ${decisive} deciding actions (${kinds.join(',')})`)
    }
    const sample = receiver.received[0]
    if (sample) await verifyWebhook({ secret: env.HOLDPOINT_WEBHOOK_SECRET!, headers: sample.headers, body: sample.body, toleranceSeconds: 3600 }).catch(() => violations.push('a resume webhook failed signature verification'))
    const listed = await countCheckpoints(redis.url, env.HOLDPOINT_KEY_PREFIX!)
    if (listed !== opts.checkpoints) violations.push(`${listed} checkpoints exist for ${opts.checkpoints} creates (idempotency broken)`)

    const emails = plan.filter((p) => p.email)
    let duplicateEmails = 0
    let emailsReceived = 0
    for (const p of emails) {
      const id = ids.get(p.i)!
      // The request mail; outcome and reminder mails reply to it with a `Re:` subject.
      const requests = smtp.to(p.email!).filter((m) => !(m.subject ?? '').startsWith('Re:') && (m.subject ?? '').includes(`Chaos ${p.i}`))
      void id
      if (requests.length === 0) violations.push(`${id}: the email to ${p.email} never arrived`)
      else emailsReceived++
    }
    const byMessageId = new Map<string, number>()
    for (const m of smtp.messages) if (m.messageId) byMessageId.set(m.messageId, (byMessageId.get(m.messageId) ?? 0) + 1)
    for (const n of byMessageId.values()) if (n > 1) duplicateEmails += n - 1

    const perId = new Map<string, number>()
    for (const h of receiver.received) perId.set(String(h.headers['webhook-id']), (perId.get(String(h.headers['webhook-id'])) ?? 0) + 1)
    return {
      checkpoints: opts.checkpoints,
      kills,
      webhooksReceived: receiver.received.length,
      webhookRetries: [...perId.values()].reduce((a, n) => a + n - 1, 0),
      emailsExpected: emails.length,
      emailsReceived,
      duplicateEmails,
      violations,
      seconds: Math.round((Date.now() - started) / 1000),
    }
  } finally {
    await Promise.all(slots.map((s) => s.proc.kill()))
    await receiver.close()
    await smtp.close()
    await redis.stop()
  }
}

async function waitReady(servers: string[]): Promise<void> {
  for (const base of servers) {
    for (let i = 0; i < 300; i++) {
      const ok = await fetch(`${base}/healthz`).then((r) => r.ok).catch(() => false)
      if (ok) break
      await sleep(100)
    }
  }
}

async function countCheckpoints(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url)
  try {
    return await redis.zcard(`${prefix}:index`)
  } finally {
    redis.disconnect()
  }
}

export function formatReport(r: ChaosReport): string {
  return [
    '| checkpoints | kills (server / worker / redis) | resume webhooks (retries) | emails expected / received (duplicates) | violations | seconds |',
    '|---:|---|---|---|---:|---:|',
    `| ${r.checkpoints} | ${r.kills.server} / ${r.kills.worker} / ${r.kills.redis} | ${r.webhooksReceived} (${r.webhookRetries}) | ${r.emailsExpected} / ${r.emailsReceived} (${r.duplicateEmails}) | ${r.violations.length} | ${r.seconds} |`,
  ].join('\n')
}

export const chaosSeed = () => randomBytes(4).toString('hex')
