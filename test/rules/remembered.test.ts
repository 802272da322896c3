import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dashboardUiPlugin } from '../../http/dashboard/module.js'
import type { DashClient} from '../dashboard/support.js';
import { seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'
import { deleteKeys, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { call, refund, twoTokens } from './support.js'

const DAY = 24 * 60 * 60 * 1000
let hp: TestHoldpoint
let operator: DashClient
// An injected clock: expiry after maxDays is tested by moving it, never by sleeping.
let now = Date.now()
const tokens = twoTokens()
const remember = { key: 'refund-small', maxDays: 7 }

beforeAll(async () => {
  let setupToken: string
  ;({ hp, setupToken } = await startDashboardHoldpoint({ plugins: [dashboardUiPlugin], env: tokens.env, clock: () => now }))
  ;({ operator } = await seedPeople(hp, setupToken, []))
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const create = (token: string, extra: Record<string, unknown> = { remember }) => call(hp, token, 'POST', '/v1/checkpoints', refund(30, extra))
const audit = async (id: string) => (await call(hp, tokens.support, 'GET', `/v1/checkpoints/${id}/audit`)).body
async function decide(id: string) {
  const res = await operator.req('POST', `/ui/api/checkpoints/${id}/answer`, { response: { approved: true, note: 'fine' }, remember: true })
  expect(res.status).toBe(200)
  return res
}

describe('remembered decisions', () => {
  it('refuse "remember" on a checkpoint that does not offer it', async () => {
    const plain = await create(tokens.support, {})
    const res = await operator.req('POST', `/ui/api/checkpoints/${plain.body.id}/answer`, { response: { approved: true }, remember: true })
    expect(res.status).toBe(422)
    expect((await call(hp, tokens.support, 'GET', `/v1/checkpoints/${plain.body.id}`)).body.state).not.toBe('resolved')
  })

  it('answer the next checkpoint of the same token and key at once, attributed and audited, and not another token’s', async () => {
    const first = await create(tokens.support)
    expect(first.body).toMatchObject({ state: 'delivered', remember })
    const answered = await decide(first.body.id)
    expect(answered.body.timeline).toContainEqual(expect.objectContaining({ kind: 'rule.remembered', actor: expect.objectContaining({ channel: 'dashboard' }), data: expect.objectContaining({ key: 'refund-small', maxDays: 7 }) }))

    const listed = await call(hp, tokens.support, 'GET', '/v1/rules')
    const [decision] = listed.body.remembered
    expect(decision).toMatchObject({ token: 'support-bot', key: 'refund-small', checkpointId: first.body.id, response: { approved: true, note: 'fine' }, expiresAt: new Date(now + 7 * DAY).toISOString() })

    const next = await create(tokens.support)
    expect(next.body).toMatchObject({ state: 'resolved', response: { approved: true, note: 'fine' }, respondedBy: { channel: 'rule', actor: decision.id } })
    const entries = (await audit(next.body.id)).entries
    expect(entries.find((e: { kind: string }) => e.kind === 'answered')).toMatchObject({
      actor: { channel: 'rule', actor: decision.id },
      data: { via: 'remembered', rule: 'remembered', key: 'refund-small', from: first.body.id, decidedBy: { channel: 'dashboard' } },
    })

    expect((await create(tokens.other)).body.state).toBe('delivered')
    expect((await create(tokens.support, { remember: { key: 'refund-large', maxDays: 7 } })).body.state).toBe('delivered')
    expect((await create(tokens.support, {})).body.state).toBe('delivered')
  })

  it('still validate against the new checkpoint’s responseSchema', async () => {
    const strict = { type: 'object', properties: { decision: { enum: ['yes', 'no'] } }, required: ['decision'], additionalProperties: false }
    const res = await create(tokens.support, { remember, responseSchema: strict })
    expect(res.body.state).toBe('delivered')
    expect((await audit(res.body.id)).entries).toContainEqual(expect.objectContaining({ kind: 'refused', actor: expect.objectContaining({ channel: 'rule' }), data: expect.objectContaining({ reason: 'invalid_response' }) }))
  })

  it('expire after maxDays', async () => {
    now += 7 * DAY + 1000
    expect((await create(tokens.support)).body.state).toBe('delivered')
    expect((await call(hp, tokens.support, 'GET', '/v1/rules')).body.remembered).toEqual([])
  })

  it('stop applying once an operator revokes them, which is audited on the deciding checkpoint', async () => {
    const source = await create(tokens.support)
    await decide(source.body.id)
    expect((await create(tokens.support)).body.state).toBe('resolved')
    const rules = await operator.req('GET', '/ui/api/rules')
    expect(rules.status).toBe(200)
    const id = rules.body.remembered[0].id as string
    expect((await operator.req('DELETE', `/ui/api/rules/remembered/${id}`)).status).toBe(204)
    expect((await create(tokens.support)).body.state).toBe('delivered')
    expect((await audit(source.body.id)).entries).toContainEqual(expect.objectContaining({ kind: 'rule.revoked', actor: expect.objectContaining({ channel: 'dashboard' }), data: { rule: id, key: 'refund-small' } }))
    expect((await call(hp, tokens.support, 'DELETE', `/v1/rules/remembered/${id}`)).status).toBe(404)
  })
})
