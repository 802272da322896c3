import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compile } from './compile.js'
import { surelyValid } from './surely-valid.js'

const key = fc.constantFrom('a', 'b', 'toString', 'constructor', '__proto__', '0')
const scalar = fc.constantFrom<unknown>(null, true, false, 0, 1, -1, 1.5, 2 ** 53, '', 'a', 'ab', '😀x', 'toString')
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, scalar, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 4 }),
  object: fc.array(fc.tuple(key, tie('node')), { maxLength: 4 }).map((pairs) => JSON.parse(JSON.stringify(Object.fromEntries(pairs))) as unknown),
})).node

const type = fc.constantFrom<unknown>('null', 'boolean', 'object', 'array', 'number', 'integer', 'string', 'strin', ['string', 'null'], ['integer', 'boolean'], [])
const bound = fc.constantFrom<unknown>(0, 1, 2, -1, 1.5, '2', true)
const schema = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant<unknown>(true), fc.constant<unknown>(false), tie('object')),
  // A few keywords each, so that values often pass; the unsupported ones come up now and then.
  object: fc.array(
    fc.oneof(
      fc.tuple(fc.constant('type'), type),
      fc.tuple(fc.constant('properties'), fc.dictionary(key, tie('node'), { maxKeys: 3 })),
      fc.tuple(fc.constant('required'), fc.array(key, { maxLength: 2 })),
      fc.tuple(fc.constant('additionalProperties'), fc.constantFrom<unknown>(true, false, {})),
      fc.tuple(fc.constant('enum'), fc.array(value, { minLength: 1, maxLength: 3 })),
      fc.tuple(fc.constant('const'), value),
      fc.tuple(fc.constant('items'), fc.oneof(tie('node'), fc.array(tie('node'), { maxLength: 2 }))),
      fc.tuple(fc.constantFrom('minItems', 'maxItems', 'minLength', 'maxLength', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'), bound),
      fc.tuple(
        fc.constantFrom('pattern', 'format', 'multipleOf', 'nullable', 'title', 'description', 'examples', '$schema', 'readOnly'),
        fc.constantFrom<unknown>('^a', 'email', 0.5, true, [1], 'https://json-schema.org/draft/2020-12/schema', 'http://json-schema.org/draft-07/schema#', 'http://json-schema.org/draft-04/schema#'),
      ),
    ),
    { maxLength: 3 },
  ).map((pairs) => Object.fromEntries(pairs) as unknown),
})).node

const ajvSays = (s: unknown, v: unknown): boolean => {
  const compiled = compile(JSON.stringify(s))
  return compiled.validate ? compiled.validate(v) === true : false
}

describe('surelyValid', () => {
  it('never says yes where ajv says no', () => {
    let yes = 0
    fc.assert(fc.property(schema.filter((s) => typeof s === 'object'), value, (s, v) => {
      if (!surelyValid(s, v)) return
      yes++
      expect(ajvSays(s, v), JSON.stringify({ s, v })).toBe(true)
    }), { numRuns: 4000 })
    // The property means little unless the check says yes often enough to be tested.
    expect(yes).toBeGreaterThan(200)
  })

  it('says yes to the common answer shapes', () => {
    const approval = { type: 'object', properties: { approved: { type: 'boolean' }, note: { type: 'string', maxLength: 500 } }, required: ['approved'], additionalProperties: false }
    expect(surelyValid(approval, { approved: true, note: 'ok' })).toBe(true)
    expect(surelyValid({ type: 'object', properties: { choice: { enum: ['refund', 'deny'] }, amount: { type: 'number', minimum: 0 } } }, { choice: 'refund', amount: 12.5 })).toBe(true)
    expect(surelyValid({ type: 'array', items: { type: 'integer' }, maxItems: 3 }, [1, 2])).toBe(true)
  })

  it('leaves to a worker what it does not fully understand, and refusals', () => {
    expect(surelyValid({ type: 'string', pattern: '^a' }, 'a')).toBe(false)
    expect(surelyValid({ type: 'string', format: 'email' }, 'a@b.c')).toBe(false)
    expect(surelyValid({ $ref: '#/$defs/x', $defs: { x: true } }, 1)).toBe(false)
    expect(surelyValid({ type: 'object', required: ['toString'] }, {})).toBe(false)
    expect(surelyValid({ type: 'boolean' }, 'yes')).toBe(false)
    expect(surelyValid({ type: 'string', maxLength: 5 }, 'x'.repeat(20_000))).toBe(false)
  })

  it('stops after a fixed amount of work, whatever the value', () => {
    const wide = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))
    expect(surelyValid({ type: 'object' }, wide)).toBe(false)
    expect(surelyValid({ type: 'array', items: { type: 'integer' } }, Array.from({ length: 5_000 }, (_, i) => i))).toBe(false)
  })
})
