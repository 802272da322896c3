import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import {
  approval,
  contentType,
  countCheckpoints,
  deepJson,
  expectAlive,
  expectNo5xx,
  expectPrototypeClean,
  fingerprint,
  hostileBody,
  hostileJson,
  hostileString,
  badEscapes,
  pct,
  pollutingKey,
  runs,
  send,
  UNLIMITED,
} from './support.js'

/**
 * The agent API under random and adversarial input. Invariants: never a 5xx, the server stays
 * up, a refused request changes no checkpoint (state, version and answer stay; the audit
 * grows only by `refused` entries, which is how people's refusals are recorded), and
 * Object.prototype is never polluted.
 */

let hp: TestHoldpoint
let auth: Record<string, string>

beforeAll(async () => {
  hp = await startHoldpoint({ env: UNLIMITED })
  auth = { authorization: `Bearer ${hp.token}` }
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const valid = () => ({ task: 'Approve?', responseSchema: approval, timeoutSeconds: 900 })

/** A fresh checkpoint, once the dashboard delivery (a worker's own change) has landed. */
async function fixture(): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', valid())
  expect(res.status).toBe(201)
  const id = res.body.id as string
  await eventually(async () => (await hp.runtime.engine.get(id))?.state === 'delivered')
  return id
}

/** Sends `act` against a fresh checkpoint; a refusal must leave it as it was. */
async function refusedChangesNothing(act: (id: string) => Promise<{ status: number; text: string }>, what: string): Promise<number> {
  const id = await fixture()
  const before = await fingerprint(hp, id)
  const res = await act(id)
  expectNo5xx(res, what)
  if (res.status >= 400) {
    const after = await fingerprint(hp, id)
    expect({ ...after, auditLength: 0 }, `${what} → ${res.status} changed the checkpoint`).toEqual({ ...before, auditLength: 0 })
    const added = (await hp.runtime.engine.store.readAudit(id)).slice(before.auditLength)
    expect(added.every((e) => e.kind === 'refused'), `${what} added ${added.map((e) => e.kind).join(', ')}`).toBe(true)
  }
  expectPrototypeClean()
  return res.status
}

/** Schemas built to hurt a validator: reference loops, huge enums, deep nesting, bad keywords. */
const hostileSchema: fc.Arbitrary<unknown> = fc.oneof(
  hostileJson,
  fc.constantFrom<unknown>(
    { $ref: '#' },
    { $ref: '#/definitions/a', definitions: { a: { $ref: '#/definitions/b' }, b: { $ref: '#/definitions/a' } } },
    { type: 'object', properties: { x: { $ref: '#' } }, required: ['x'] },
    { $ref: 'http://169.254.169.254/latest/meta-data/' },
    { $ref: 'file:///etc/passwd' },
    { type: 'string', enum: Array.from({ length: 50_000 }, (_, i) => `v${i}`) },
    { type: 'string', pattern: '^(a+)+$' },
    { type: 'object', properties: { __proto__: { type: 'string' } } },
    JSON.parse('{"type":"object","properties":{"__proto__":{"type":"number"}},"required":["__proto__"]}'),
    { type: 'object', propertyNames: { pattern: '(' } },
    { type: 'nope' },
    { allOf: Array.from({ length: 1000 }, () => ({ type: 'object' })) },
    // Under the depth limit, so it reaches the schema compiler (10k levels: see below).
    JSON.parse(deepJson(45, '{"type":"object","properties":{"a":', '}}', '{"type":"string"}')),
  ),
)

const ssrfUrl = fc.constantFrom(
  'http://127.0.0.1:1/x',
  'http://169.254.169.254/latest/meta-data/',
  'http://[::1]/',
  'http://[fe80::1]/',
  'http://[fd00::1]/',
  'http://0.0.0.0/',
  'http://0x7f.1/',
  'http://2130706433/',
  'gopher://example.com/',
  'file:///etc/passwd',
  'javascript:alert(1)',
  'http://metadata.google.internal/',
  'https://agent.example.com/hook',
)

/** A valid create body with one field replaced by something hostile. */
const mutatedCreate = fc
  .record({
    field: fc.constantFrom('task', 'payload', 'payloadSchema', 'responseSchema', 'notify', 'assignTo', 'timeoutSeconds', 'onTimeout', 'metadata', 'resume', 'escalation', 'reminders', 'quorum', 'idempotencyKey', '__proto__', 'constructor'),
    value: fc.oneof(hostileJson, hostileSchema, ssrfUrl.map((url) => ({ webhook: { url } })), fc.array(hostileString, { maxLength: 3 })),
  })
  .map(({ field, value }) => {
    const body: Record<string, unknown> = valid()
    Object.defineProperty(body, field, { value, enumerable: true, configurable: true, writable: true })
    return JSON.stringify(body)
  })

describe('POST /v1/checkpoints under hostile bodies', () => {
  it('never answers 5xx and creates nothing when it refuses (raw bodies, content types)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileBody, mutatedCreate), contentType, async (body, type) => {
        const before = await countCheckpoints(hp)
        const res = await send(`${hp.url}/v1/checkpoints`, { method: 'POST', body, contentType: type, headers: auth })
        expectNo5xx(res, 'create')
        if (res.status >= 400) expect(await countCheckpoints(hp)).toBe(before)
        expectPrototypeClean()
      }),
      runs(120),
    )
    await expectAlive(hp)
  }, 60_000)

  it('refuses every hostile schema with a 4xx or accepts it, and the server keeps answering', async () => {
    await fc.assert(
      fc.asyncProperty(hostileSchema, fc.option(hostileJson), async (schema, payload) => {
        const res = await send(`${hp.url}/v1/checkpoints`, {
          method: 'POST',
          body: JSON.stringify({ task: 'x', responseSchema: schema, payloadSchema: schema, ...(payload !== null && { payload }) }),
          contentType: 'application/json',
          headers: auth,
        })
        expectNo5xx(res, 'create with hostile schema')
      }),
      runs(60),
    )
    await expectAlive(hp)
  }, 60_000)

  it('refuses bodies over the limit with 413, declared or streamed', async () => {
    const big = JSON.stringify({ ...valid(), payload: 'x'.repeat(1024 * 1024 + 10) })
    expect((await send(`${hp.url}/v1/checkpoints`, { method: 'POST', body: big, contentType: 'application/json', headers: auth })).status).toBe(413)
  })

  it('refuses 10k-level nesting in payload, metadata and schemas without a crash', async () => {
    for (const field of ['payload', 'metadata', 'responseSchema', 'onTimeout']) {
      const body = `{"task":"x","responseSchema":{"type":"object"},"${field === 'responseSchema' ? 'payloadSchema' : field}":${deepJson(10_000)}}`
      const res = await send(`${hp.url}/v1/checkpoints`, { method: 'POST', body, contentType: 'application/json', headers: auth })
      expectNo5xx(res, `deep ${field}`)
    }
    await expectAlive(hp)
  })
})

describe('checkpoint actions under hostile bodies', () => {
  const actions = ['response', 'cancel', 'extend', 'reassign'] as const
  const actionBody = fc.oneof(
    hostileBody,
    hostileJson.map((response) => JSON.stringify({ response, actor: 'svc' })),
    fc.record({ response: fc.constant({ approved: true }), actor: hostileString }).map((b) => JSON.stringify(b)),
    fc.record({ timeoutSeconds: fc.oneof(fc.integer(), fc.double()), expiresAt: fc.oneof(hostileString, fc.constantFrom('1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z')) }).map((b) => JSON.stringify(b)),
    fc.record({ assignTo: fc.array(hostileString, { maxLength: 3 }), notify: fc.array(hostileString, { maxLength: 3 }) }).map((b) => JSON.stringify(b)),
    pollutingKey.map((k) => `{"${k}":{"approved":true},"response":{"approved":true,"${k}":{"polluted":1}},"actor":"svc"}`),
  )

  it('never 5xx; a refusal leaves the checkpoint as it was', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...actions), actionBody, contentType, async (action, body, type) => {
        await refusedChangesNothing(
          (id) => send(`${hp.url}/v1/checkpoints/${id}/${action}`, { method: 'POST', body, contentType: type, headers: auth }),
          `POST ${action}`,
        )
      }),
      runs(120),
    )
    await expectAlive(hp)
  }, 60_000)

  it('answers unknown, malformed and hostile ids with 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(hostileString.map(pct), badEscapes), fc.constantFrom('', '/wait?timeoutSeconds=0', '/audit', '/response', '/cancel', '/resume'), async (raw, suffix) => {
        const id = raw || 'x'
        const method = suffix === '' || suffix.startsWith('/wait') || suffix === '/audit' ? 'GET' : 'POST'
        const res = await send(`${hp.url}/v1/checkpoints/${id}${suffix}`, { method, headers: auth, ...(method === 'POST' && { body: '{}', contentType: 'application/json' }) })
        expectNo5xx(res, `${method} ${suffix}`)
        expect(res.status).toBeGreaterThanOrEqual(400)
      }),
      runs(80),
    )
  }, 60_000)
})

describe('GET /v1/checkpoints query strings', () => {
  it('never 5xx on hostile state, limit, cursor and repeated parameters', async () => {
    const param = fc.tuple(fc.constantFrom('state', 'limit', 'cursor', '__proto__', 'constructor[prototype][x]', 'state[]'), fc.oneof(hostileString.map(pct), badEscapes))
    await fc.assert(
      fc.asyncProperty(fc.array(param, { maxLength: 5 }), async (params) => {
        const query = params.map(([k, v]) => `${pct(k)}=${v}`).join('&')
        const res = await send(`${hp.url}/v1/checkpoints?${query}`, { method: 'GET', headers: auth })
        expectNo5xx(res, `list ?${query}`)
        expectPrototypeClean()
      }),
      runs(80),
    )
  }, 60_000)

  it('answers bad or missing bearer tokens with 401 whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(hostileString), hostileBody, async (token, body) => {
        const value = token === null ? undefined : `Bearer ${token.replace(/[^\x20-\x7e]/g, '')}`
        const res = await send(`${hp.url}/v1/checkpoints`, { method: 'POST', body, contentType: 'application/json', headers: value ? { authorization: value } : {} })
        expect(res.status).toBe(401)
      }),
      runs(40),
    )
  }, 60_000)
})
