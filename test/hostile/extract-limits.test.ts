import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeAnthropic } from '../support/fake-anthropic.js'
import { approvalSchema, deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { policyBrain } from '../verify/policy-brain.js'
import { DashClient, refundRequest, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'

/**
 * Where money is spent (a model call per extraction or verification): the extract endpoints
 * sit under the per-token and per-person limits, and a request names a model only from the
 * operator's allow-list.
 */

let model: FakeAnthropic
const started: TestHoldpoint[] = []

beforeAll(async () => {
  model = await new FakeAnthropic(policyBrain).start()
})
afterAll(async () => {
  for (const hp of started) {
    await hp.close()
    await deleteKeys(testRedisUrl(), hp.prefix)
  }
  await model.close()
})

const modelEnv = () => ({ ANTHROPIC_API_KEY: model.apiKey, ANTHROPIC_BASE_URL: model.url })

async function start(env: Record<string, string>): Promise<TestHoldpoint> {
  const hp = await startHoldpoint({ worker: false, env: { ...modelEnv(), ...env } })
  started.push(hp)
  return hp
}

async function createCheckpoint(hp: TestHoldpoint, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', { task: 'Refund cus_42?', responseSchema: approvalSchema, ...extra })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

const extract = (hp: TestHoldpoint, id: string, token = hp.token) =>
  fetch(`${hp.url}/v1/checkpoints/${id}/extract`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ text: 'Yes, approve it.' }) })

describe('POST /v1/checkpoints/:id/extract', () => {
  it('has a per-token budget: the N+1th extraction within the minute gets 429, another token is unaffected', async () => {
    const hp = await start({ HOLDPOINT_RATE_LIMIT_EXTRACT: '3', HOLDPOINT_RATE_LIMIT_API: '0' })
    const id = await createCheckpoint(hp)
    const calls = model.calls.length
    for (let i = 0; i < 3; i++) expect((await extract(hp, id)).status).toBe(200)
    const over = await extract(hp, id)
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(model.calls.length - calls).toBe(3)
    const other = hp.config.apiTokens[1]!.token
    expect((await extract(hp, id, other)).status).toBe(200)
  })

  it('sits behind the /v1 gate: no token is 401, and extractions count against the token’s API budget', async () => {
    const hp = await start({ HOLDPOINT_RATE_LIMIT_EXTRACT: '0', HOLDPOINT_RATE_LIMIT_API: '4' })
    const id = await createCheckpoint(hp) // 1
    expect((await fetch(`${hp.url}/v1/checkpoints/${id}/extract`, { method: 'POST', body: '{"text":"yes"}', headers: { 'content-type': 'application/json' } })).status).toBe(401)
    const statuses: number[] = []
    for (let i = 0; i < 4; i++) statuses.push((await extract(hp, id)).status) // 2, 3, 4, then over
    expect(statuses).toEqual([200, 200, 200, 429])
  })
})

describe('model allow-list', () => {
  it('refuses a verify.model outside HOLDPOINT_VERIFY_MODELS with 422 at create; allowed names and the default pass', async () => {
    const hp = await start({ HOLDPOINT_VERIFY_MODELS: 'claude-allowed-1, claude-allowed-2' })
    const verify = (m?: string) => ({ verify: { provider: 'anthropic', instructions: 'Approve only duplicates.', ...(m !== undefined && { model: m }) } })
    const refused = await hp.api('POST', '/v1/checkpoints', { task: 'Refund?', responseSchema: approvalSchema, ...verify('claude-opus-very-expensive') })
    expect(refused.status).toBe(422)
    expect(JSON.stringify(refused.body)).toContain('/verify/model')
    await createCheckpoint(hp, verify('claude-allowed-2'))
    await createCheckpoint(hp, verify())
  })

  it('with no allow-list only the configured default may be named; extraction never uses an unlisted name', async () => {
    const hp = await start({})
    const refused = await hp.api('POST', '/v1/checkpoints', { task: 'Refund?', responseSchema: approvalSchema, verify: { provider: 'anthropic', instructions: 'x', model: 'claude-anything' } })
    expect(refused.status).toBe(422)
    // A checkpoint stored before the allow-list existed (written straight into the engine's
    // request) still cannot pick the model: extraction falls back to the default.
    const id = await createCheckpoint(hp)
    const calls = model.calls.length
    const cp = await hp.runtime.engine.get(id)
    cp!.request.verify = { provider: 'anthropic', instructions: 'x', maxAttempts: 3, model: 'claude-anything' }
    const { FreeTextExtractor } = await import('../../verify/extractor.js')
    const { VerifierSet } = await import('../../verify/verifier-set.js')
    const extractor = new FreeTextExtractor(new VerifierSet({ env: hp.config.env, webhookSecret: hp.config.webhookSecret }))
    await extractor.extract(cp!, 'Yes, approve it.')
    const used = model.calls.slice(calls).map((c) => c.model)
    expect(used).toHaveLength(1)
    expect(used).not.toContain('claude-anything-20990101')
  })
})

describe('dashboard "Answer in words"', () => {
  it('has a per-person budget across sessions', async () => {
    const { hp, setupToken } = await startDashboardHoldpoint({ env: { ...modelEnv(), HOLDPOINT_RATE_LIMIT_EXTRACT: '2' } })
    started.push(hp)
    const { clients } = await seedPeople(hp, setupToken, [{ name: 'Ana', email: 'ana@example.com' }])
    const ana = clients['ana@example.com']!
    const res = await hp.api('POST', '/v1/checkpoints', refundRequest({ assignTo: ['email:ana@example.com'] }))
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const path = `/ui/api/checkpoints/${res.body.id}/extract`
    expect((await ana.req('POST', path, { text: 'Yes, approve it: duplicate charge.' })).status).toBe(200)
    expect((await ana.req('POST', path, { text: 'Yes, approve it: duplicate charge.' })).status).toBe(200)
    const over = await ana.req('POST', path, { text: 'Yes, approve it: duplicate charge.' })
    expect(over.status).toBe(429)
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0)
    // A second session of the same person shares the budget.
    const again = new DashClient(hp.url)
    expect((await again.login('ana@example.com', 'correct horse battery')).status).toBe(200)
    expect((await again.req('POST', path, { text: 'Yes' })).status).toBe(429)
  })
})
