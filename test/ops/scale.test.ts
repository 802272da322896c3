import { Queue } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { deliveryQueue } from '../../plugins/queue-names.js'
import { freePort } from '../support/free-port.js'
import { approvalSchema, deleteKeys, eventually, randomPrefix, testRedisUrl, testSecrets } from '../support/holdpoint.js'
import { spawnHoldpoint, type HoldpointProcess } from '../support/spawn-holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

// Two servers and two workers on one Redis, one of each SIGKILLed mid-run. Sized for a
// 2-core CI machine: a few hundred checkpoints, no timing assertions.
const ANSWERED = 200
const LONG_POLLED = 20
const TIMED = 20
const CONCURRENCY = 12

const cleanup: Array<() => Promise<void>> = []
afterAll(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined)
})

async function pool<T>(items: T[], limit: number, run: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) {
      const i = next++
      await run(items[i]!, i)
    }
  }))
}

describe('horizontal scale', () => {
  it('two servers and two workers, one of each killed mid-run: nothing duplicated, missed or left waiting', { timeout: 180_000 }, async () => {
    const receiver = await new WebhookReceiver().start()
    cleanup.push(() => receiver.close())
    const prefix = randomPrefix()
    cleanup.push(() => deleteKeys(testRedisUrl(), prefix))
    const secrets = testSecrets()
    const token = secrets.HOLDPOINT_API_TOKENS!.split(',')[0]!.split(':')[1]!
    const shared = { REDIS_URL: testRedisUrl(), HOLDPOINT_KEY_PREFIX: prefix, HOLDPOINT_JOB_LOCK_MS: '2000', HOLDPOINT_RESUME_FIRST_DELAY_MS: '200', ...secrets }
    const ports = [await freePort(), await freePort()]
    const servers = ports.map((port) => spawnHoldpoint('server', { ...shared, HOLDPOINT_PORT: String(port) }))
    const workers = [spawnHoldpoint('worker', shared), spawnHoldpoint('worker', shared)]
    const all: HoldpointProcess[] = [...servers, ...workers]
    cleanup.push(() => Promise.all(all.map((p) => p.kill())).then(() => undefined))
    const urls = ports.map((p) => `http://127.0.0.1:${p}`)

    const api = async (url: string, method: string, path: string, body?: unknown) => {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      })
      return { status: res.status, body: (await res.json()) as Record<string, any> }
    }
    // After the kill, calls meant for the dead server go to the survivor (what a load balancer does).
    let serverKilled = false
    const via = (i: number) => (serverKilled ? urls[0]! : urls[i % 2]!)
    const resilient = async (i: number, method: string, path: string, body?: unknown) => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await api(via(i + attempt), method, path, body)
        } catch (error) {
          if (attempt >= 5) throw error
        }
      }
    }
    // Four tsx processes starting while the whole suite runs can take most of a minute.
    for (const url of urls) await eventually(async () => (await api(url, 'GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 60_000, 100)

    const redis = new Redis(testRedisUrl())
    cleanup.push(async () => redis.disconnect())
    const statsBefore = await redis.info('stats')
    const cpuBefore = await redis.info('cpu')
    const started = Date.now()

    const create = (i: number, extra: Record<string, unknown>) =>
      resilient(i, 'POST', '/v1/checkpoints', { task: `scale ${i}`, responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } }, ...extra })
    const answered: string[] = []
    await pool(Array.from({ length: ANSWERED }, (_, i) => i), CONCURRENCY, async (i) => {
      const res = await create(i, {})
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      answered[i] = res.body.id as string
    })
    const timed: string[] = []
    await pool(Array.from({ length: TIMED }, (_, i) => i), CONCURRENCY, async (i) => {
      timed[i] = (await create(i, { timeoutSeconds: 3 })).body.id as string
    })

    // Long-polls held on server 0 for checkpoints answered through server 1.
    const polled = answered.slice(0, LONG_POLLED)
    const waits = polled.map((id) => api(urls[0]!, 'GET', `/v1/checkpoints/${id}/wait?timeoutSeconds=50`))
    await new Promise((r) => setTimeout(r, 300))
    await pool(polled, CONCURRENCY, async (id) => {
      expect((await api(urls[1]!, 'POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    })

    // The rest are answered through both servers; halfway, one server and one worker die.
    const rest = answered.slice(LONG_POLLED)
    let done = 0
    await pool(rest, CONCURRENCY, async (id) => {
      const i = answered.indexOf(id)
      const res = await resilient(i, 'POST', `/v1/checkpoints/${id}/response`, { response: { approved: i % 3 !== 0 }, actor: `person-${i % 7}` })
      // 409: the killed server committed the answer before it died; the retry finds it answered.
      expect([200, 409]).toContain(res.status)
      if (++done === Math.floor(rest.length / 2)) {
        serverKilled = true
        await Promise.all([servers[1]!.kill(), workers[1]!.kill()])
      }
    })

    const woken = await Promise.all(waits)
    expect(woken.map((w) => w.body.state)).toEqual(polled.map(() => 'resolved'))

    // Every checkpoint finishes: answers resolve, timers fire (from whichever worker lives).
    const states = async (ids: string[]) => Promise.all(ids.map(async (id) => (await api(urls[0]!, 'GET', `/v1/checkpoints/${id}`)).body.state as string))
    await eventually(async () => (await states(timed)).every((s) => s === 'expired'), 30_000, 200)
    expect((await states(answered)).every((s) => s === 'resolved')).toBe(true)

    // Each resume arrives; retries repeat the same webhook-id, never a second one per checkpoint.
    const everyone = [...answered, ...timed]
    // A resume the killed server was making itself waits out its outbox lease (15 s) for a worker's sweeper.
    await eventually(async () => new Set(receiver.received.map((h) => h.headers['webhook-id'])).size >= everyone.length, 60_000, 200)
    const elapsed = (Date.now() - started) / 1000
    const idsPerCheckpoint = new Map<string, Set<string>>()
    for (const hook of receiver.received) {
      const id = (JSON.parse(hook.body) as { data: { checkpointId: string } }).data.checkpointId
      const set = idsPerCheckpoint.get(id) ?? new Set<string>()
      set.add(String(hook.headers['webhook-id']))
      idsPerCheckpoint.set(id, set)
    }
    expect([...idsPerCheckpoint.keys()].sort()).toEqual([...everyone].sort())
    expect([...idsPerCheckpoint.values()].every((s) => s.size === 1)).toBe(true)

    // No duplicate deliveries: one `delivered` audit entry per checkpoint (the dashboard is
    // recorded inline at dispatch, so a re-dispatch after a kill must not record it twice),
    // and no dashboard delivery job at all.
    const deliveredCounts = await Promise.all(
      everyone.map(async (id) => ((await api(urls[0]!, 'GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: { recipient?: string } }>).filter((e) => e.kind === 'delivered' && e.data?.recipient === 'dashboard').length),
    )
    expect(deliveredCounts.every((n) => n === 1)).toBe(true)
    const queue = new Queue(deliveryQueue('dashboard'), { connection: redis.duplicate({ maxRetriesPerRequest: null }), prefix })
    cleanup.push(() => queue.close())
    expect(await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'], 0, -1)).toHaveLength(0)

    // Figures for docs/scaling.md (printed, never asserted): the shared test Redis also
    // serves other suites, so these are upper bounds on what one lifecycle costs Redis.
    const num = (info: string, field: string) => Number(new RegExp(`${field}:([\\d.]+)`).exec(info)?.[1] ?? 0)
    const [statsAfter, cpuAfter] = [await redis.info('stats'), await redis.info('cpu')]
    const commands = num(statsAfter, 'total_commands_processed') - num(statsBefore, 'total_commands_processed')
    const cpu = num(cpuAfter, 'used_cpu_sys') + num(cpuAfter, 'used_cpu_user') - num(cpuBefore, 'used_cpu_sys') - num(cpuBefore, 'used_cpu_user')
    const lifecycles = everyone.length
    process.stdout.write(
      `scale: ${lifecycles} lifecycles in ${elapsed.toFixed(1)} s through 2 servers + 2 workers (one of each killed) = ${(lifecycles / elapsed).toFixed(1)}/s; ` +
        `Redis: ${Math.round(commands / lifecycles)} commands and ${((cpu / lifecycles) * 1000).toFixed(2)} ms CPU per lifecycle → one Redis core ≈ ${Math.round(lifecycles / cpu)} lifecycles/s\n`,
    )
  })
})
