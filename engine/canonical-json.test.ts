import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson, sameCanonical } from './canonical-json.js'

/** The first version, kept here as the definition: stored audit hashes were computed with it. */
function reference(value: unknown): string {
  const sortKeys = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sortKeys)
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
      for (const key of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[key]
        if (x !== undefined) out[key] = sortKeys(x)
      }
      return out
    }
    return v
  }
  return JSON.stringify(sortKeys(value))
}

const key = fc.oneof(fc.string(), fc.constantFrom('0', '1', '2', '10', '9', '01', '-1', '1.5', '4294967294', '4294967295', '__proto__', 'constructor', 'toString', ''))
const leaf = fc.oneof(fc.string({ unit: 'binary' }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.date().map((d) => d))
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 6 }),
  object: fc.array(fc.tuple(key, tie('node')), { maxLength: 6 }).map((pairs) => {
    const o: Record<string, unknown> = {}
    for (const [k, v] of pairs) Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true })
    return o
  }),
})).node

describe('canonicalJson', () => {
  it('writes exactly what the first version wrote, for any value', () => {
    fc.assert(fc.property(value, (v) => {
      expect(canonicalJson(v)).toBe(reference(v))
    }), { numRuns: 3000 })
  })

  it('writes what JSON.parse read back the same whatever the key order', () => {
    fc.assert(fc.property(fc.jsonValue(), (v) => {
      const reversed = JSON.parse(JSON.stringify(v), (_k, x: unknown) => (x !== null && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x)) as unknown
      expect(canonicalJson(reversed)).toBe(canonicalJson(v))
    }))
  })

  it('puts integer-like keys first in numeric order, as JSON.stringify of any object does', () => {
    expect(canonicalJson({ b: 1, 10: 2, 9: 3, a: 4, '01': 5 })).toBe('{"9":3,"10":2,"01":5,"a":4,"b":1}')
  })

  it('says two values are the same exactly when their canonical texts are', () => {
    const reordered = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(reordered)
      if (v === null || typeof v !== 'object' || v instanceof Date) return v
      const o: Record<string, unknown> = {}
      for (const k of Object.keys(v).reverse()) Object.defineProperty(o, k, { value: reordered((v as Record<string, unknown>)[k]), enumerable: true, writable: true, configurable: true })
      return o
    }
    const agrees = (a: unknown, b: unknown) => expect(sameCanonical(a, b)).toBe(canonicalJson(a) === canonicalJson(b))
    fc.assert(fc.property(value, value, (a, b) => {
      agrees(a, b)
      agrees(a, reordered(a))
      agrees([a, undefined], [reordered(a), null])
      agrees({ k: a, gone: undefined }, { k: reordered(b) })
    }), { numRuns: 3000 })
    expect(sameCanonical({ a: [1, { b: 2, c: undefined }] }, { a: [1, { b: 2 }] })).toBe(true)
    expect(sameCanonical({ a: [1, { b: 2 }] }, { a: [1, { b: 3 }] })).toBe(false)
    expect(sameCanonical([], {})).toBe(false)
  })
})
