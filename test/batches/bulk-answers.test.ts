import { z } from 'zod'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { validateCreate, type Capabilities } from '../../engine/validate-create.js'
import { ValidationFailed } from '../../engine/problems.js'
import { buildCreateBody } from '../../sdk/checkpoints.js'

let hp: TestHoldpoint
let receiver: WebhookReceiver

beforeAll(async () => {
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint()
})

afterAll(async () => {
  await hp?.close()
  await receiver?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

const batch = { id: 'run-42.refunds', title: 'Refunds from run 42' }
const create = async (extra: Record<string, unknown> = {}) => {
  const res = await hp.api('POST', '/v1/checkpoints', { task: 'Refund?', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } }, batch, ...extra })
  expect(res.status).toBe(201)
  return res.body as { id: string; batch?: unknown }
}

describe('batch on create', () => {
  it('is stored, shown in the view, and indexed per agent token and batch id', async () => {
    const a = await create()
    const b = await create()
    expect(a.batch).toEqual(batch)
    expect((await hp.api('GET', `/v1/checkpoints/${b.id}`)).body.batch).toEqual(batch)
    const members = await hp.runtime.engine.store.batchMembers(hp.config.apiTokens[0]!.name, batch.id)
    expect(members).toEqual(expect.arrayContaining([a.id, b.id]))
    const key = hp.runtime.engine.store.keys.batch(hp.config.apiTokens[0]!.name, batch.id)
    expect(key).toContain(`{${batch.id}}`)
    expect(await hp.redis.ttl(key)).toBeGreaterThan(0)
  })

  it('refuses a bad batch id or an overlong title, on the API and the intake path (validateCreate)', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approvalSchema, batch: { id: 'has space', title: 'y'.repeat(201) } })
    expect(res.status).toBe(422)
    const paths = (res.body.errors as Array<{ path: string }>).map((e) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['/batch/id', '/batch/title']))
    const caps: Capabilities = { recipients: { problem: () => null, normalize: (r) => r }, channels: new Set(['dashboard']), resumeTargets: new Set(), features: new Set() }
    await expect(validateCreate({ task: 'x', responseSchema: approvalSchema, batch: { id: 'x'.repeat(65), title: 't' } }, caps)).rejects.toBeInstanceOf(ValidationFailed)
    const ok = await validateCreate({ task: 'x', responseSchema: approvalSchema, batch: { id: 'a_b-1.2', title: 't' } }, caps)
    expect(ok.batch).toEqual({ id: 'a_b-1.2', title: 't' })
  })
})

describe('POST /v1/checkpoints/answers', () => {
  it('answers each item on its own and reports a result per item', async () => {
    const ok1 = await create()
    const ok2 = await create()
    const bad = await create()
    const done = await create()
    expect((await hp.api('POST', `/v1/checkpoints/${done.id}/response`, { response: { approved: true }, actor: 'bot' })).status).toBe(200)

    const missing = 'cp_does_not_exist'
    const res = await hp.api('POST', '/v1/checkpoints/answers', {
      actor: 'reviewer-bot',
      name: 'Reviewer bot',
      items: [
        { id: ok1.id, response: { approved: true } },
        { id: bad.id, response: { approved: 'yes' } },
        { id: missing, response: { approved: true } },
        { id: done.id, response: { approved: false } },
        { id: ok2.id, response: { approved: false, note: 'no' } },
      ],
    })
    expect(res.status).toBe(200)
    const items = res.body.items as Array<{ id: string; status: number; code?: string; errors?: Array<{ path: string }> }>
    expect(items.map((i) => [i.id, i.status])).toEqual([
      [ok1.id, 200],
      [bad.id, 422],
      [missing, 404],
      [done.id, 409],
      [ok2.id, 200],
    ])
    expect(items[1]?.errors?.[0]?.path).toBe('/response/approved')
    expect(items[3]?.code).toBe('finished')

    expect((await hp.api('GET', `/v1/checkpoints/${ok1.id}`)).body).toMatchObject({ state: 'resolved', response: { approved: true }, respondedBy: { actor: 'reviewer-bot' } })
    expect((await hp.api('GET', `/v1/checkpoints/${ok2.id}`)).body).toMatchObject({ state: 'resolved', response: { approved: false, note: 'no' } })
    expect((await hp.api('GET', `/v1/checkpoints/${bad.id}`)).body.state).not.toBe('resolved')

    // Each item is audited on its own: the invalid one as a refusal, the others as answers.
    const badAudit = (await hp.api('GET', `/v1/checkpoints/${bad.id}/audit`)).body
    expect(badAudit.entries.map((e: { kind: string }) => e.kind)).toContain('refused')
    const okAudit = (await hp.api('GET', `/v1/checkpoints/${ok1.id}/audit`)).body
    expect(okAudit.chain.intact).toBe(true)
    expect(okAudit.entries.find((e: { kind: string }) => e.kind === 'answered')?.data).toMatchObject({ via: 'api', bulk: true })

    // Each recorded answer resumes its agent once.
    await eventually(async () => [ok1.id, ok2.id].every((id) => receiver.received.some((h) => h.headers['webhook-id'] === `msg_${id}`)))
  })

  it('rejects a malformed body as a whole', async () => {
    const res = await hp.api('POST', '/v1/checkpoints/answers', { actor: 'x', items: [] })
    expect(res.status).toBe(422)
    const missingResponse = await hp.api('POST', '/v1/checkpoints/answers', { actor: 'x', items: [{ id: 'cp_1' }] })
    expect(missingResponse.status).toBe(422)
  })
})

describe('the SDK', () => {
  it('sends batch on create', async () => {
    const body = buildCreateBody({ task: 't', responseSchema: z.object({ approved: z.boolean() }), batch })
    expect(body.batch).toEqual(batch)
  })
})
