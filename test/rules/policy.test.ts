import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { call, policyFile, refund, smallRefunds, twoTokens } from './support.js'

let hp: TestHoldpoint
let receiver: WebhookReceiver
let path: string
const tokens = twoTokens()

beforeAll(async () => {
  receiver = await new WebhookReceiver().start()
  path = await policyFile([smallRefunds])
  hp = await startHoldpoint({ plugins: [], env: { ...tokens.env, HOLDPOINT_POLICY_FILE: path } })
})
afterAll(async () => {
  await hp.close()
  await receiver.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('declared policies', () => {
  it('approve a matching request at create, attributed to the rule, audited, and resume the agent', async () => {
    const res = await call(hp, tokens.support, 'POST', '/v1/checkpoints', refund(20, { resume: { webhook: { url: receiver.url } } }))
    expect(res.status).toBe(201)
    expect(res.body).toMatchObject({ state: 'resolved', response: { approved: true }, respondedBy: { channel: 'rule', actor: 'small-refunds' } })
    const hook = await eventually(async () => receiver.received.find((h) => h.body.includes(res.body.id)))
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'checkpoint.resolved', data: { state: 'resolved', respondedBy: { channel: 'rule', actor: 'small-refunds' } } })
    const audit = await call(hp, tokens.support, 'GET', `/v1/checkpoints/${res.body.id}/audit`)
    expect(audit.body.chain.intact).toBe(true)
    const answered = audit.body.entries.find((e: { kind: string }) => e.kind === 'answered')
    expect(answered).toMatchObject({ actor: { channel: 'rule', actor: 'small-refunds' }, data: { via: 'policy', rule: 'policy', note: 'policy: small refunds' } })
  })

  it('leave a larger amount, or another token’s request, to a person', async () => {
    const larger = await call(hp, tokens.support, 'POST', '/v1/checkpoints', refund(500))
    expect(larger.body.state).toBe('delivered')
    const other = await call(hp, tokens.other, 'POST', '/v1/checkpoints', refund(20))
    expect(other.body.state).toBe('delivered')
    expect(other.body.respondedBy).toBeNull()
  })

  it('are skipped, and the skip audited, when the rule’s answer does not fit the responseSchema', async () => {
    const strict = { type: 'object', properties: { decision: { enum: ['yes', 'no'] } }, required: ['decision'], additionalProperties: false }
    const res = await call(hp, tokens.support, 'POST', '/v1/checkpoints', refund(10, { responseSchema: strict }))
    expect(res.body.state).toBe('delivered')
    const audit = await call(hp, tokens.support, 'GET', `/v1/checkpoints/${res.body.id}/audit`)
    expect(audit.body.entries).toContainEqual(
      expect.objectContaining({ kind: 'refused', actor: { channel: 'rule', actor: 'small-refunds', name: 'policy: small refunds' }, data: expect.objectContaining({ reason: 'invalid_response', via: 'policy' }) }),
    )
  })

  it('are listed read-only on GET /v1/rules', async () => {
    const res = await call(hp, tokens.other, 'GET', '/v1/rules')
    expect(res.status).toBe(200)
    expect(res.body.policies).toEqual([{ ...smallRefunds }])
  })

  it('take a changed file into effect without a restart, and keep the previous ones when the new file is bad', async () => {
    await writeFile(path, JSON.stringify([{ ...smallRefunds, when: { '<=': [{ var: 'payload.amountUsd' }, 1000] } }]))
    await eventually(async () => (await call(hp, tokens.support, 'GET', '/v1/rules')).body.policies[0]?.when['<='][1] === 1000)
    const now = await call(hp, tokens.support, 'POST', '/v1/checkpoints', refund(500))
    expect(now.body.state).toBe('resolved')

    await writeFile(path, '[{ "id": "broken", "when": {"<=": ') // truncated JSON
    await new Promise((r) => setTimeout(r, 2500))
    const still = await call(hp, tokens.support, 'GET', '/v1/rules')
    expect(still.body.policies.map((p: { id: string }) => p.id)).toEqual(['small-refunds'])
  })
})
