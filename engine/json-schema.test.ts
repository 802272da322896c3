import { randomInt } from 'node:crypto'
import { afterAll, describe, expect, it } from 'vitest'
import { closeValidation, configureValidation, schemaProblems, validationLimits, validationStats, valueProblems } from './json-schema.js'

afterAll(async () => {
  await closeValidation()
})

const tasks = () => validationStats()?.tasks ?? 0

describe('schema checks', () => {
  it('ask a worker once for a schema it has already found valid', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer', minimum: randomInt(1_000_000) } }, required: ['n'] }
    const before = tasks()
    expect(await schemaProblems(schema, '/responseSchema')).toEqual([])
    expect(await schemaProblems({ ...schema }, '/payloadSchema')).toEqual([])
    expect(tasks() - before).toBe(1)
  })

  it('ask again for a schema that was refused, and every time', async () => {
    const schema = { type: 'object', properties: { n: { type: 'no-such-type', minimum: randomInt(1_000_000) } } }
    const before = tasks()
    const first = await schemaProblems(schema, '/responseSchema')
    expect(first.length).toBeGreaterThan(0)
    expect(await schemaProblems(schema, '/responseSchema')).toEqual(first)
    expect(tasks() - before).toBe(2)
  })

  it('check a remembered schema again once the limits change', async () => {
    const schema = { type: 'object', properties: { s: { type: 'string', maxLength: randomInt(1_000_000) } } }
    expect(await schemaProblems(schema, '/responseSchema')).toEqual([])
    configureValidation({ timeoutMs: validationLimits().timeoutMs + 1 })
    // A new pool counts from zero; the schema must reach it.
    expect(await schemaProblems(schema, '/responseSchema')).toEqual([])
    expect(tasks()).toBe(1)
  })

  it("do not charge an agent's first schema for the validator's cold start", async () => {
    // ajv's first compile in a fresh worker takes about 250 ms on an idle machine; a new pool
    // with a 100 ms limit must still check a first schema, since the worker warms up before
    // it takes tasks.
    const previous = validationLimits()
    configureValidation({ timeoutMs: 100, workers: 1 })
    try {
      const schema = { type: 'object', properties: { ok: { type: 'boolean' }, n: { type: 'integer', maximum: randomInt(1_000_000) } }, required: ['ok'] }
      expect(await schemaProblems(schema, '/responseSchema')).toEqual([])
      expect(validationStats()?.timeouts).toBe(0)
    } finally {
      configureValidation(previous)
    }
  })

  it('pass a plain answer without a worker, and send a refusal to one for its problems', async () => {
    const schema = { type: 'object', properties: { approved: { type: 'boolean' }, n: { type: 'integer', maximum: randomInt(10, 1_000_000) } }, required: ['approved'] }
    await schemaProblems(schema, '/responseSchema')
    const before = tasks()
    expect(await valueProblems(schema, { approved: true, n: 3 }, '/response')).toEqual([])
    expect(tasks() - before).toBe(0)
    expect(await valueProblems(schema, { approved: 'yes' }, '/response')).toEqual([expect.objectContaining({ path: '/response/approved' })])
    expect(tasks() - before).toBe(1)
    // Outside the plain subset (a pattern), even a passing value is a worker's to judge.
    expect(await valueProblems({ type: 'string', pattern: '^a' }, 'abc')).toEqual([])
    expect(tasks() - before).toBe(2)
  })
})
