import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { approval, UNLIMITED } from './support.js'

/**
 * HOLDPOINT_TOKEN_SCOPE=own: an agent token sees and acts only on checkpoints it created;
 * another token's checkpoint answers 404 exactly like an unknown one. Operator tokens
 * (HOLDPOINT_OPERATOR_TOKENS) still see everything.
 */

const secret = () => randomBytes(18).toString('base64url')
const tokens = { a: secret(), b: secret(), ops: secret() }
let hp: TestHoldpoint

beforeAll(async () => {
  hp = await startHoldpoint({
    env: {
      ...UNLIMITED,
      HOLDPOINT_API_TOKENS: `agent-a:${tokens.a},agent-b:${tokens.b},operator:${tokens.ops}`,
      HOLDPOINT_TOKEN_SCOPE: 'own',
      HOLDPOINT_OPERATOR_TOKENS: 'operator',
    },
  })
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function as(token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(hp.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null }
}

async function create(token: string, task: string): Promise<string> {
  const res = await as(token, 'POST', '/v1/checkpoints', { task, responseSchema: approval, timeoutSeconds: 900 })
  expect(res.status).toBe(201)
  return String(res.body?.id)
}

const ids = (list: { body: Record<string, unknown> | null }) => ((list.body?.items ?? []) as Array<{ id: string }>).map((i) => i.id)

describe('HOLDPOINT_TOKEN_SCOPE=own', () => {
  it('hides another token’s checkpoint: get, wait, audit, answer, cancel, extend, reassign and resume answer 404 like an unknown id', async () => {
    const ofB = await create(tokens.b, 'B’s question')
    const unknown = await as(tokens.a, 'GET', '/v1/checkpoints/cp_00000000000000000000000000')
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['GET', '/wait?timeoutSeconds=0'],
      ['GET', '/audit'],
      ['POST', '/response', { response: { approved: true }, actor: 'agent-a' }],
      ['POST', '/cancel', {}],
      ['POST', '/extend', { timeoutSeconds: 60 }],
      ['POST', '/reassign', { assignTo: ['dashboard:someone'] }],
      ['POST', '/resume', {}],
    ]
    for (const [method, suffix, body] of attempts) {
      const res = await as(tokens.a, method, `/v1/checkpoints/${ofB}${suffix}`, body)
      expect(res.status, `${method} ${suffix}`).toBe(404)
      expect(res.body?.type, `${method} ${suffix}`).toBe(unknown.body?.type)
    }
    const after = await as(tokens.b, 'GET', `/v1/checkpoints/${ofB}`)
    expect(after.status).toBe(200)
    expect(after.body?.state).not.toBe('answered')
    expect(after.body?.state).not.toBe('cancelled')
  })

  it('lists only the token’s own checkpoints', async () => {
    const ofA = await create(tokens.a, 'A’s question')
    const ofB = await create(tokens.b, 'B’s other question')
    const listA = ids(await as(tokens.a, 'GET', '/v1/checkpoints?limit=200'))
    expect(listA).toContain(ofA)
    expect(listA).not.toContain(ofB)
    const listB = ids(await as(tokens.b, 'GET', '/v1/checkpoints?limit=200'))
    expect(listB).toContain(ofB)
    expect(listB).not.toContain(ofA)
  })

  it('lets a token answer and cancel its own checkpoints', async () => {
    const mine = await create(tokens.a, 'mine to answer')
    expect((await as(tokens.a, 'POST', `/v1/checkpoints/${mine}/response`, { response: { approved: true }, actor: 'svc' })).status).toBe(200)
    const other = await create(tokens.a, 'mine to cancel')
    expect((await as(tokens.a, 'POST', `/v1/checkpoints/${other}/cancel`, {})).status).toBe(200)
  })

  it('lets an operator token see, list, answer and cancel everyone’s checkpoints', async () => {
    const ofA = await create(tokens.a, 'for the operator to answer')
    const ofB = await create(tokens.b, 'for the operator to cancel')
    expect((await as(tokens.ops, 'GET', `/v1/checkpoints/${ofA}`)).status).toBe(200)
    const listed = ids(await as(tokens.ops, 'GET', '/v1/checkpoints?limit=200'))
    expect(listed).toEqual(expect.arrayContaining([ofA, ofB]))
    expect((await as(tokens.ops, 'POST', `/v1/checkpoints/${ofA}/response`, { response: { approved: false }, actor: 'ops' })).status).toBe(200)
    expect((await as(tokens.ops, 'POST', `/v1/checkpoints/${ofB}/cancel`, {})).status).toBe(200)
  })
})
