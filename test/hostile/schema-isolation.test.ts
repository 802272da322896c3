import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { configureValidation } from '../../engine/json-schema.js'
import { deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { UNLIMITED } from './support.js'

/**
 * Agents do not share a schema registry: each schema document compiles in its own scope, so
 * the same `$id` from two agents is no conflict (also after the compiled-schema cache has
 * churned), and a `$ref` reaches nothing outside its own document. A schema's `format` name
 * never reaches the process's output.
 */

const secret = () => randomBytes(18).toString('base64url')
const tokens = { a: secret(), b: secret() }
let hp: TestHoldpoint

beforeAll(async () => {
  // A tiny cache, so a dozen schemas are enough to evict and recompile the ones under test.
  configureValidation({ cacheEntries: 3 })
  hp = await startHoldpoint({ env: { ...UNLIMITED, HOLDPOINT_API_TOKENS: `agent-a:${tokens.a},agent-b:${tokens.b}` } })
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
  return { status: res.status, text, body: text ? (JSON.parse(text) as { id?: string; errors?: Array<{ path: string; message: string }> }) : null }
}

const SHARED_ID = 'https://agents.example/schemas/answer.json'

// Same $id, different content: under a shared registry the second would be refused.
const schemaOfA = { $id: SHARED_ID, type: 'object', properties: { approved: { $ref: '#/$defs/flag' } }, required: ['approved'], $defs: { flag: { type: 'boolean' } } }
const schemaOfB = { $id: SHARED_ID, type: 'object', properties: { amount: { $ref: '#/$defs/money' } }, required: ['amount'], $defs: { money: { type: 'number', minimum: 0 } } }

async function churn(): Promise<void> {
  for (let i = 0; i < 12; i++) {
    const res = await as(tokens.a, 'POST', '/v1/checkpoints', { task: `churn ${i}`, responseSchema: { type: 'object', properties: { [`f${i}`]: { type: 'string' } } } })
    expect(res.status).toBe(201)
  }
}

describe('one scope per schema', () => {
  it('two agents with the same $id both create and both answer, before and after the cache churns', async () => {
    const a1 = await as(tokens.a, 'POST', '/v1/checkpoints', { task: 'A', responseSchema: schemaOfA })
    const b1 = await as(tokens.b, 'POST', '/v1/checkpoints', { task: 'B', responseSchema: schemaOfB })
    const a2 = await as(tokens.a, 'POST', '/v1/checkpoints', { task: 'A again', responseSchema: schemaOfA })
    const b2 = await as(tokens.b, 'POST', '/v1/checkpoints', { task: 'B again', responseSchema: schemaOfB })
    for (const res of [a1, b1, a2, b2]) expect(res.status, res.text).toBe(201)

    // Each is checked against its own schema, not the other agent's with the same $id.
    const wrongForA = await as(tokens.a, 'POST', `/v1/checkpoints/${a1.body?.id}/response`, { response: { amount: 5 }, actor: 'svc' })
    expect(wrongForA.status).toBe(422)
    expect(wrongForA.body?.errors).toContainEqual({ path: '/response/approved', message: 'is required' })
    expect((await as(tokens.a, 'POST', `/v1/checkpoints/${a1.body?.id}/response`, { response: { approved: true }, actor: 'svc' })).status).toBe(200)
    expect((await as(tokens.b, 'POST', `/v1/checkpoints/${b1.body?.id}/response`, { response: { amount: 5 }, actor: 'svc' })).status).toBe(200)

    await churn()

    const wrongForB = await as(tokens.b, 'POST', `/v1/checkpoints/${b2.body?.id}/response`, { response: { amount: -1 }, actor: 'svc' })
    expect(wrongForB.status).toBe(422)
    expect((await as(tokens.a, 'POST', `/v1/checkpoints/${a2.body?.id}/response`, { response: { approved: false }, actor: 'svc' })).status).toBe(200)
    expect((await as(tokens.b, 'POST', `/v1/checkpoints/${b2.body?.id}/response`, { response: { amount: 0 }, actor: 'svc' })).status).toBe(200)
  })

  it('refuses a $ref to another agent’s $id, even while that schema is compiled', async () => {
    expect((await as(tokens.a, 'POST', '/v1/checkpoints', { task: 'A', responseSchema: schemaOfA })).status).toBe(201)
    for (const ref of [SHARED_ID, `${SHARED_ID}#/$defs/flag`]) {
      const res = await as(tokens.b, 'POST', '/v1/checkpoints', { task: 'B borrows', responseSchema: { type: 'object', properties: { x: { $ref: ref } } } })
      expect(res.status, ref).toBe(422)
      expect(res.body?.errors?.[0]?.path).toBe('/responseSchema')
      expect(res.body?.errors?.[0]?.message).toMatch(/does not point inside this schema/)
    }
  })

  it('refuses remote and undefined urn: references at create, in responseSchema and payloadSchema', async () => {
    const refs = ['https://schemas.example.com/answer.json', 'http://169.254.169.254/latest/meta-data/', 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66', 'other.json#/x', 'file:///etc/passwd']
    for (const ref of refs) {
      for (const field of ['responseSchema', 'payloadSchema'] as const) {
        const body = { task: 'remote', responseSchema: { type: 'object' }, [field]: { type: 'object', properties: { x: { $ref: ref } } } }
        const res = await as(tokens.a, 'POST', '/v1/checkpoints', body)
        expect(res.status, `${field} ${ref}`).toBe(422)
        expect(res.body?.errors?.map((p) => p.path), `${field} ${ref}`).toContain(`/${field}`)
      }
    }
  })

  it('still resolves $ref inside one document, including through its own $id', async () => {
    const own = { $id: 'urn:example:agent-a:answer', type: 'object', properties: { x: { $ref: 'urn:example:agent-a:answer#/$defs/x' }, y: { $ref: '#/$defs/x' } }, $defs: { x: { type: 'string' } } }
    const res = await as(tokens.a, 'POST', '/v1/checkpoints', { task: 'own refs', responseSchema: own })
    expect(res.status, res.text).toBe(201)
    const bad = await as(tokens.a, 'POST', `/v1/checkpoints/${res.body?.id}/response`, { response: { x: 1, y: 2 }, actor: 'svc' })
    expect(bad.status).toBe(422)
    expect(bad.body?.errors?.map((p) => p.path).sort()).toEqual(['/response/x', '/response/y'])
  })
})

describe('format names and the log', () => {
  it('a forged log line in a format name reaches neither stdout nor stderr, and the format is refused', async () => {
    const marker = `FORGED-${randomBytes(4).toString('hex')}`
    const forged = `date"\n{"level":60,"time":0,"msg":"${marker}"}\n`
    const written: string[] = []
    const capture = (stream: NodeJS.WriteStream) => {
      const original = stream.write.bind(stream)
      stream.write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
        written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))
        return Reflect.apply(original, stream, [chunk, ...rest]) as boolean
      }
      return () => (stream.write = original)
    }
    // vitest routes console.* around process.stdout, so those are watched on their own.
    const watchConsole = (name: 'log' | 'warn' | 'error' | 'info' | 'debug') => {
      const original = console[name].bind(console)
      console[name] = (...args: unknown[]) => {
        written.push(args.map(String).join(' '))
        original(...args)
      }
      return () => (console[name] = original)
    }
    const restore = [capture(process.stdout), capture(process.stderr), ...(['log', 'warn', 'error', 'info', 'debug'] as const).map(watchConsole)]
    try {
      for (const field of ['responseSchema', 'payloadSchema'] as const) {
        const res = await as(tokens.a, 'POST', '/v1/checkpoints', { task: 'format', responseSchema: { type: 'object' }, [field]: { type: 'string', format: forged } })
        expect(res.status).toBe(422)
        const problem = res.body?.errors?.find((p) => p.path === `/${field}`)
        expect(problem?.message).toMatch(/does not know/)
        // The name comes back JSON-escaped: no raw newline that would start a log line.
        expect(problem?.message).not.toContain('\n')
      }
      // Give any worker output time to arrive before looking.
      await new Promise((r) => setTimeout(r, 200))
    } finally {
      for (const undo of restore) undo()
    }
    expect(written.join('')).not.toContain(marker)
  })

  it('a known format still validates answers', async () => {
    const res = await as(tokens.a, 'POST', '/v1/checkpoints', { task: 'email', responseSchema: { type: 'object', properties: { to: { type: 'string', format: 'email' } }, required: ['to'] } })
    expect(res.status).toBe(201)
    const bad = await as(tokens.a, 'POST', `/v1/checkpoints/${res.body?.id}/response`, { response: { to: 'not an address' }, actor: 'svc' })
    expect(bad.status).toBe(422)
    expect((await as(tokens.a, 'POST', `/v1/checkpoints/${res.body?.id}/response`, { response: { to: 'a@example.com' }, actor: 'svc' })).status).toBe(200)
  })
})
