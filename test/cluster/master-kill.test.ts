import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, eventually, startHoldpoint, type TestHoldpoint } from '../support/holdpoint.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

// A master is SIGKILLed in the middle of a run and restarted on its port and directory (AOF
// `always`, no replica): nothing Holdpoint acknowledged (a 201 create, a 200 answer) is lost,
// and every answered checkpoint still resumes its agent once the master is back.
let cluster: RedisClusterProcess
let hp: TestHoldpoint
let receiver: WebhookReceiver

beforeAll(async () => {
  cluster = await startRedisCluster()
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint({ plugins: [], env: { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds } })
}, 60_000)
afterAll(async () => {
  await hp?.close()
  await receiver?.close()
  await cluster?.stop()
})

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** One agent's lifecycle, retrying what was not acknowledged (the same idempotency key, the same answer). */
interface Acked {
  created: Set<string>
  answered: Set<string>
  /** When each acknowledgement came, to show the kill fell in the middle of the run. */
  at: number[]
  /** Requests that failed while the master was down (not acknowledged, so retried). */
  failed: number
}

async function lifecycle(n: number, acked: Acked, until: number): Promise<void> {
  let id: string | null = null
  while (id === null && Date.now() < until) {
    const res = await hp.api('POST', '/v1/checkpoints', { task: `kill ${n}`, responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } }, { 'idempotency-key': `kill-${n}` }).catch(() => null)
    if (res && (res.status === 201 || res.status === 200)) id = res.body.id as string
    else {
      acked.failed++
      await pause(100)
    }
  }
  if (id === null) return
  acked.created.add(id)
  acked.at.push(Date.now())
  await pause(Math.random() * 300)
  while (Date.now() < until) {
    const res = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: n % 2 === 0 }, actor: `person-${n}` }).catch(() => null)
    // 200: recorded now; 409: an earlier attempt was recorded, and its answer is what stands.
    if (res && (res.status === 200 || res.status === 409)) {
      acked.answered.add(id)
      acked.at.push(Date.now())
      return
    }
    acked.failed++
    await pause(100)
  }
}

describe('a master SIGKILLed and restarted mid-run', () => {
  it('loses nothing acknowledged, and every answered checkpoint still resumes its agent', { timeout: 90_000 }, async () => {
    // Warm up (schema compilation, connections), so the run is in full flow when the kill comes.
    const warm = (await hp.api('POST', '/v1/checkpoints', { task: 'warm up', responseSchema: approvalSchema })).body.id as string
    await hp.api('POST', `/v1/checkpoints/${warm}/cancel`, {})
    const acked: Acked = { created: new Set(), answered: new Set(), at: [], failed: 0 }
    const until = Date.now() + 40_000
    const runs = Array.from({ length: 40 }, (_, n) => pause(n * 50).then(() => lifecycle(n, acked, until)))
    // Kill once the run is in full flow (some acknowledged already, most still to come),
    // however slow this machine is today.
    await eventually(async () => acked.created.size >= 5, 20_000)
    const victim = 1
    const killedAt = Date.now()
    await cluster.kill(victim)
    await pause(1_500)
    await cluster.restart(victim)
    const restartedAt = Date.now()
    await cluster.waitOk()
    await Promise.all(runs)
    // The kill fell mid-run: acknowledgements came before it and after the restart.
    expect(acked.at.some((t) => t < killedAt)).toBe(true)
    expect(acked.at.some((t) => t > restartedAt)).toBe(true)
    console.info(`master kill: ${acked.failed} requests failed while it was down (retried by the agents)`)
    expect(acked.created.size).toBe(40)
    expect(acked.answered.size).toBe(40)
    for (const id of acked.created) {
      const got = await hp.api('GET', `/v1/checkpoints/${id}`)
      expect(got.status).toBe(200)
      expect(got.body.state).toBe('resolved')
      expect((await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.chain.intact).toBe(true)
    }
    // Some of them live on the master that was killed.
    const onVictim = await Promise.all([...acked.created].map(async (id) => (await cluster.node(victim).exists(hp.runtime.engine.store.keys.checkpoint(id)).catch(() => 0)) === 1))
    expect(onVictim.filter(Boolean).length).toBeGreaterThan(5)
    await eventually(async () => new Set(receiver.received.map((r) => JSON.parse(r.body).data.checkpointId as string)).size === 40, 30_000)
    // Idempotent retries created nothing twice.
    const listed = await hp.api('GET', '/v1/checkpoints?limit=100')
    expect(listed.body.items).toHaveLength(41)
  })
})
