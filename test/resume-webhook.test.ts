import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { RESUME_ATTEMPTS, RESUME_FIRST_DELAY_MS, resumeBackoffMs } from '../queues/retry-policy.js'
import { verifyWebhook } from '../sdk/webhook.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from './support/holdpoint.js'
import { WebhookReceiver } from './support/webhook-receiver.js'

let hp: TestHoldpoint
const receivers: WebhookReceiver[] = []

beforeAll(async () => {
  hp = await startHoldpoint()
})
afterAll(async () => {
  await Promise.all(receivers.map((r) => r.close()))
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function receiver(respond?: ConstructorParameters<typeof WebhookReceiver>[0]) {
  const r = await new WebhookReceiver(respond).start()
  receivers.push(r)
  return r
}

async function create(url: string, extra: Record<string, unknown> = {}) {
  const res = await hp.api('POST', '/v1/checkpoints', {
    task: 'Approve the wire?',
    responseSchema: approvalSchema,
    resume: { webhook: { url } },
    metadata: { runId: 'run_7' },
    ...extra,
  }, { 'idempotency-key': `k-${randomBytes(4).toString('hex')}` })
  expect(res.status).toBe(201)
  return res.body as { id: string; idempotencyKey: string }
}

const answer = (id: string, approved = true) => hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved }, actor: 'U024BE7LH', name: 'Ana' })

describe('resume webhook', () => {
  it('POSTs a Standard Webhooks-signed checkpoint.resolved event that the SDK verifies', async () => {
    const r = await receiver()
    const cp = await create(r.url)
    await answer(cp.id)
    const hook = await eventually(async () => r.received[0])
    const event = await verifyWebhook({ secret: hp.config.webhookSecret, headers: hook.headers, body: hook.body })
    expect(event).toEqual({
      type: 'checkpoint.resolved',
      timestamp: expect.any(String),
      data: {
        checkpointId: cp.id,
        state: 'resolved',
        response: { approved: true },
        respondedBy: { channel: 'api', actor: 'U024BE7LH', name: 'Ana', via: 'agent' },
        idempotencyKey: cp.idempotencyKey,
        metadata: { runId: 'run_7' },
      },
    })
    expect(hook.headers['webhook-id']).toBe(`msg_${cp.id}`)
    const audit = await eventually(async () => {
      const a = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
      return a.body.entries.some((e: { kind: string }) => e.kind === 'resumed') && a.body
    })
    expect(audit.entries.at(-1)).toMatchObject({ kind: 'resumed', data: { target: 'webhook', status: 200, attempt: 1 } })
    expect(audit.chain.intact).toBe(true)
    await expect(verifyWebhook({ secret: `whsec_${randomBytes(32).toString('base64')}`, headers: hook.headers, body: hook.body })).rejects.toThrow()
  })

  it('retries failures with the same webhook-id until a 2xx', async () => {
    const r = await receiver((n) => (n <= 2 ? 503 : 204))
    const cp = await create(r.url)
    await answer(cp.id, false)
    await eventually(async () => r.received.length >= 3, 15_000)
    await new Promise((res) => setTimeout(res, 300))
    expect(r.received).toHaveLength(3)
    expect(new Set(r.received.map((h) => h.headers['webhook-id']))).toEqual(new Set([`msg_${cp.id}`]))
    expect(new Set(r.received.map((h) => h.body)).size).toBe(1)
    for (const hook of r.received) {
      await verifyWebhook({ secret: hp.config.webhookSecret, headers: hook.headers, body: hook.body })
    }
    const audit = await eventually(async () => {
      const a = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
      return a.body.entries.find((e: { kind: string }) => e.kind === 'resumed')
    })
    expect(audit.data).toMatchObject({ status: 204, attempt: 3 })
  })

  it('stops on 410, records the final failure, and lets an operator re-drive it with the same id', async () => {
    // The answering process's inline first attempt gets a 503 and queues the job; the job's attempt gets the 410.
    let calls = 0
    let gone = true
    const r = await receiver(() => (++calls === 1 ? 503 : gone ? 410 : 200))
    const cp = await create(r.url)
    await answer(cp.id)
    const failed = await eventually(async () => {
      const a = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
      return a.body.entries.find((e: { kind: string }) => e.kind === 'resume.failed')
    })
    expect(failed.data).toMatchObject({ final: true, status: 410 })
    await new Promise((res) => setTimeout(res, 400))
    expect(r.received).toHaveLength(2)

    gone = false
    const redrive = await hp.api('POST', `/v1/checkpoints/${cp.id}/resume`)
    expect(redrive.status).toBe(202)
    expect(redrive.body.outcome).toBe('retried')
    await eventually(async () => r.received.length === 3)
    expect(r.received.map((h) => h.headers['webhook-id'])).toEqual([`msg_${cp.id}`, `msg_${cp.id}`, `msg_${cp.id}`])
    await eventually(async () => {
      const a = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
      return a.body.entries.some((e: { kind: string }) => e.kind === 'resumed')
    })
    const again = await hp.api('POST', `/v1/checkpoints/${cp.id}/resume`)
    expect(again.status).toBe(409)
    const forced = await hp.api('POST', `/v1/checkpoints/${cp.id}/resume?force=true`)
    expect(forced.status).toBe(202)
    await eventually(async () => r.received.length === 4)
    expect(r.received[3]!.headers['webhook-id']).toBe(`msg_${cp.id}`)
  })

  it('stops on a 410 to the inline first attempt; with no failed job, a re-drive queues one under the same id', async () => {
    let gone = true
    const r = await receiver(() => (gone ? 410 : 200))
    const cp = await create(r.url)
    await answer(cp.id)
    await eventually(async () => {
      const a = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
      return a.body.entries.find((e: { kind: string }) => e.kind === 'resume.failed')
    })
    await new Promise((res) => setTimeout(res, 400))
    expect(r.received).toHaveLength(1)
    gone = false
    const redrive = await hp.api('POST', `/v1/checkpoints/${cp.id}/resume`)
    expect(redrive.body.outcome).toBe('queued')
    await eventually(async () => r.received.length === 2)
    expect(r.received[1]!.headers['webhook-id']).toBe(`msg_${cp.id}`)
  })

  it('signs with the checkpoint’s own secret when it has one', async () => {
    const r = await receiver()
    const secret = `whsec_${randomBytes(32).toString('base64')}`
    const res = await hp.api('POST', '/v1/checkpoints', { task: 't', responseSchema: approvalSchema, resume: { webhook: { url: r.url, secret } } })
    await answer(res.body.id)
    const hook = await eventually(async () => r.received[0])
    await expect(verifyWebhook({ secret, headers: hook.headers, body: hook.body })).resolves.toMatchObject({ type: 'checkpoint.resolved' })
    await expect(verifyWebhook({ secret: hp.config.webhookSecret, headers: hook.headers, body: hook.body })).rejects.toThrow()
    // the secret never shows in the API
    const got = await hp.api('GET', `/v1/checkpoints/${res.body.id}`)
    expect(JSON.stringify(got.body)).not.toContain(secret)
  })

  it('sends checkpoint.expired on timeout and checkpoint.cancelled on cancel', async () => {
    const r = await receiver()
    const expiring = await create(r.url, { timeoutSeconds: 1 })
    const cancelling = await create(r.url)
    await hp.api('POST', `/v1/checkpoints/${cancelling.id}/cancel`, { reason: 'not needed' })
    await eventually(async () => r.received.length >= 2, 10_000)
    const types = Object.fromEntries(r.received.map((h) => [JSON.parse(h.body).data.checkpointId, JSON.parse(h.body).type]))
    expect(types[expiring.id]).toBe('checkpoint.expired')
    expect(types[cancelling.id]).toBe('checkpoint.cancelled')
    const exp = JSON.parse(r.received.find((h) => h.body.includes(expiring.id))!.body)
    expect(exp.data).toMatchObject({ state: 'expired', response: null, respondedBy: null })
  })

  it('resolves with the agent’s default answer on timeout, attributed to the system and marked as a default', async () => {
    const r = await receiver()
    const cp = await create(r.url, { timeoutSeconds: 1, onTimeout: { response: { approved: false, note: 'no answer in time' } } })
    const hook = await eventually(async () => r.received[0], 10_000)
    const event = JSON.parse(hook.body)
    expect(event.type).toBe('checkpoint.resolved')
    expect(event.data).toMatchObject({ checkpointId: cp.id, response: { approved: false, note: 'no answer in time' }, respondedBy: { channel: 'system', actor: 'timeout', default: true } })
  })
})

describe('resume retry policy', () => {
  it('keeps retrying for more than a day before giving up', () => {
    let total = 0
    for (let attempt = 1; attempt < RESUME_ATTEMPTS; attempt++) total += resumeBackoffMs(attempt, RESUME_FIRST_DELAY_MS)
    expect(total).toBeGreaterThan(24 * 3600 * 1000 * 1.05)
    expect(resumeBackoffMs(1)).toBeLessThanOrEqual(5_500)
    expect(resumeBackoffMs(30)).toBeLessThanOrEqual(3600 * 1000 * 1.1)
  })
})
