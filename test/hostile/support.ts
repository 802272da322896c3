import fc from 'fast-check'
import { expect } from 'vitest'
import type { TestHoldpoint } from '../support/holdpoint.js'

/**
 * Shared pieces of the hostile-input property tests: adversarial arbitraries, run settings
 * (HOLDPOINT_FC_SEED / HOLDPOINT_FC_RUNS reproduce or deepen a run; fast-check prints the
 * seed and the shrunk counterexample on failure), and the invariants every surface keeps.
 */

export function runs(defaultRuns: number): fc.Parameters<unknown> {
  const seed = process.env.HOLDPOINT_FC_SEED
  const scale = Number(process.env.HOLDPOINT_FC_RUNS_SCALE ?? 1)
  return {
    numRuns: Math.max(1, Math.round(defaultRuns * (Number.isFinite(scale) ? scale : 1))),
    ...(seed !== undefined && { seed: Number(seed) }),
    // Every run is a real HTTP request; shrinking a failure stays affordable at this bound.
    endOnFailure: false,
    interruptAfterTimeLimit: 25_000,
    markInterruptAsFailure: false,
  }
}

/** Strings people do not usually type: NUL, lone surrogates, RTL overrides, BOMs, control chars. */
const nasty = fc.constantFrom(
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\u200f',
  '\ufeff',
  '\u2028',
  '%00',
  '../',
  '..%2f',
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  '{{7*7}}',
  "' OR 1=1 --",
  '\r\nSet-Cookie: x=1',
  '🙂',
  'ǅ',
  'İ',
)

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.array(fc.oneof(nasty, fc.string({ maxLength: 4 })), { maxLength: 8 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
)

/** Keys that try to reach Object.prototype through naive merges and lookups. */
export const pollutingKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', '$ref', '$id')

const key = fc.oneof({ weight: 1, arbitrary: pollutingKey }, { weight: 3, arbitrary: hostileString })

/** JSON values with adversarial keys and strings at any depth. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1, -1),
    hostileString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  ),
})).value

/** `{"a":{"a":…}}` nested `depth` levels, as raw JSON text (no recursion needed to build it). */
export function deepJson(depth: number, open = '{"a":', close = '}', leaf = '1'): string {
  return open.repeat(depth) + leaf + close.repeat(depth)
}

/** Raw bodies: valid JSON of hostile values, truncated JSON, deep nesting, binary, huge strings. */
export const hostileBody: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: hostileJson.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: hostileJson.map((v) => (JSON.stringify(v) ?? '').slice(0, -1)) },
  { weight: 1, arbitrary: fc.constantFrom(deepJson(10_000), deepJson(10_000, '[', ']'), '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}') },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '"x"', '0', 'true', '{}', '\u0000', '\ufeff{}', 'x'.repeat(70_000)) },
)

export const contentType: fc.Arbitrary<string | null> = fc.constantFrom(
  null,
  'application/json',
  'application/json; charset=utf-16',
  'application/problem+json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'multipart/form-data; boundary=x',
  'application/xml',
  'application/json\u0000',
  '*/*',
  'application/vnd.evil+json',
)

/** A header value fetch will send (no CR/LF/NUL, Latin-1 only). */
export const headerSafe = (s: string | null): string | null => (s === null ? null : s.replace(/[^\x20-\x7e]/g, '') || null)

/** Percent-encodes every byte of the string's UTF-8 (lone surrogates become U+FFFD, as a browser would send). */
export function pct(s: string): string {
  return [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')
}

/** Path and query fragments a URL parser chokes on. */
export const badEscapes = fc.constantFrom('%', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%FF', '%00', '%2e%2e%2f', '%uD800', '%25', '%%')

/** Sends one raw request; a thrown network error (the server died or hung up) fails the property. */
export async function send(url: string, init: { method: string; body?: string; contentType?: string | null; headers?: Record<string, string> }) {
  const headers: Record<string, string> = { ...init.headers }
  const type = headerSafe(init.contentType ?? null)
  if (type) headers['content-type'] = type
  const res = await fetch(url, { method: init.method, headers, ...(init.body !== undefined && { body: init.body }), redirect: 'manual' })
  const text = await res.text()
  return { status: res.status, text, headers: res.headers }
}

export function expectNo5xx(res: { status: number; text: string }, what: string): void {
  if (res.status >= 500) throw new Error(`${what} answered ${res.status}: ${res.text.slice(0, 300)}`)
}

/** Object.prototype is untouched (a pollution would show up as an inherited property). */
export function expectPrototypeClean(): void {
  const probe: Record<string, unknown> = {}
  for (const name of ['polluted', 'a', 'x', 'isAdmin', 'approved']) expect(probe[name], `Object.prototype.${name}`).toBeUndefined()
  expect(Object.keys(Object.prototype)).toEqual([])
}

/** What a checkpoint looks like from outside: any change shows up in one of these. */
export interface Fingerprint {
  state: string
  version: number
  auditLength: number
  response: string
}

export async function fingerprint(hp: TestHoldpoint, id: string): Promise<Fingerprint> {
  const cp = await hp.runtime.engine.get(id)
  if (!cp) throw new Error(`checkpoint ${id} disappeared`)
  return { state: cp.state, version: cp.version, auditLength: cp.auditLength, response: JSON.stringify(cp.persisted.context.response) ?? '' }
}

export async function fingerprints(hp: TestHoldpoint, ids: readonly string[]): Promise<Fingerprint[]> {
  return Promise.all(ids.map((id) => fingerprint(hp, id)))
}

/** How many checkpoints exist on this deployment. */
export async function countCheckpoints(hp: TestHoldpoint): Promise<number> {
  let total = 0
  let cursor: string | undefined
  do {
    const page = await hp.runtime.engine.store.list({ limit: 200, ...(cursor && { cursor }) })
    total += page.ids.length
    cursor = page.next ?? undefined
  } while (cursor)
  return total
}

/** The server still answers its liveness probe. */
export async function expectAlive(hp: TestHoldpoint): Promise<void> {
  const res = await fetch(`${hp.url}/healthz`)
  expect(res.status).toBe(200)
}

export const approval = {
  type: 'object',
  properties: { approved: { type: 'boolean' }, note: { type: 'string', maxLength: 500 } },
  required: ['approved'],
  additionalProperties: false,
}

/** Rate limits off for property runs: thousands of requests from one address and token. */
export const UNLIMITED = { HOLDPOINT_RATE_LIMIT_API: '0', HOLDPOINT_RATE_LIMIT_LINKS: '0' }
