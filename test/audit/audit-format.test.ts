import { readFile } from 'node:fs/promises'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildLine, openLine, sealedAudit, verifyLine, type ArchiveLine, type StoredFields } from '../../engine/archive/archive-line.js'
import { AtRest } from '../../engine/at-rest.js'
import { GENESIS, sealEntry, verifyChain, type AuditDraft, type AuditEntry } from '../../engine/audit.js'
import type { CompactEntry } from '../../engine/audit-format.js'
import { CheckpointStore } from '../../engine/checkpoint-store.js'
import { Engine } from '../../engine/engine.js'
import { FieldCipher } from '../../engine/field-cipher.js'
import { RetentionStore } from '../../engine/archive/retention-store.js'
import { Keyring, parseSecretKeys } from '../../engine/keyring.js'
import { deleteKeys, randomPrefix, testRedisUrl } from '../support/holdpoint.js'
import { ana, refundSpec } from './refund-example.js'

interface FixtureChain {
  id: string
  fields: StoredFields
  audit: string[]
}
const fixture = JSON.parse(await readFile(new URL('../fixtures/audit-v1/chains.json', import.meta.url), 'utf8')) as {
  secretKeys: string
  secretAnswer: string
  resolved: FixtureChain & { archiveLine: ArchiveLine }
  pending: FixtureChain
}

const keyring = new Keyring(parseSecretKeys(fixture.secretKeys))
const cipher = new FieldCipher(keyring)
const atRest = new AtRest(cipher)
const SECRET = 'the customer was double-charged: card 4242, refund ok'

/** Entries signed and stored one after the other, as the engine and the store do. */
function storeChain(ring: Keyring | Keyring[], drafts: ReadonlyArray<AuditDraft & { state?: string }>, start = Date.parse('2025-06-01T10:00:00Z')) {
  const rings = Array.isArray(ring) ? ring : drafts.map(() => ring)
  const signed: AuditEntry[] = []
  const lines: string[] = []
  for (const [i, { state, ...draft }] of drafts.entries()) {
    const entry = sealEntry(rings[i]!, draft, { seq: i, at: start + i * 1000, state: state ?? 'delivered', prev: signed.at(-1)?.hash ?? GENESIS })
    signed.push(entry)
    lines.push(JSON.stringify(new AtRest(new FieldCipher(rings[i]!)).sealAudit(entry)))
  }
  return { signed, lines }
}

const read = (lines: readonly string[], with_ = atRest) => with_.openAudit(lines.map((l) => JSON.parse(l) as unknown))
const compact = (lines: readonly string[]) => lines.map((l) => JSON.parse(l) as CompactEntry)
const relist = (entries: readonly CompactEntry[]) => entries.map((e) => JSON.stringify(e))

const lifecycle: ReadonlyArray<AuditDraft & { state?: string }> = [
  { kind: 'created', actor: { channel: 'api', actor: 'refund-agent' }, shownHash: 'cf'.repeat(32), data: { notify: ['dashboard'], assignTo: ['dashboard'] }, state: 'pending' },
  { kind: 'delivered', actor: { channel: 'system', actor: 'holdpoint' }, data: { recipient: 'dashboard' } },
  { kind: 'viewed', actor: { channel: 'dashboard', actor: 'ana', name: 'Ana Ruiz' }, data: { via: 'dashboard' } },
  { kind: 'answered', actor: { channel: 'dashboard', actor: 'ana', name: 'Ana Ruiz', via: 'web' }, shownHash: 'cf'.repeat(32), data: { via: 'dashboard', response: { approved: true, note: SECRET } }, state: 'resolved' },
  { kind: 'resumed', actor: { channel: 'system', actor: 'webhook' }, data: { target: 'webhook', attempt: 1, status: 200 }, state: 'resolved' },
]

describe('v1 chains (written before the compact format) still verify', () => {
  it('reads and verifies a whole v1 chain, opening its sealed data', () => {
    const entries = read(fixture.resolved.audit)
    expect(verifyChain(keyring, entries)).toEqual({ intact: true })
    expect(entries.map((e) => e.kind)).toEqual(['created', 'delivered', 'delivered', 'viewed', 'refused', 'answered', 'resumed'])
    expect(entries.at(-1)!.hash).toBe(fixture.resolved.fields.head)
    const answered = entries.find((e) => e.kind === 'answered')!
    expect(answered.data).toMatchObject({ response: { approved: true, note: fixture.secretAnswer } })
    // Exactly what v1 stored, but opened.
    const stored = JSON.parse(fixture.resolved.audit[5]!) as AuditEntry
    expect({ ...answered, data: undefined }).toEqual({ ...stored, data: undefined })
  })

  it('verifies a v1 archive line, opens it, and still catches an edit in it', () => {
    const line = fixture.resolved.archiveLine
    expect(verifyLine(line, keyring, cipher)).toEqual({ intact: true })
    expect(openLine(line, cipher).audit.find((e) => e.kind === 'answered')?.data).toMatchObject({ response: { note: fixture.secretAnswer } })
    const edited = structuredClone(line)
    ;(edited.audit[1] as AuditEntry).at = '2025-03-01T09:00:02.469Z'
    expect(verifyLine(edited, keyring, cipher)).toMatchObject({ intact: false, brokenAt: 1 })
  })

  it('still catches an edited v1 entry', () => {
    const lines = [...fixture.resolved.audit]
    const edited = JSON.parse(lines[2]!) as AuditEntry
    edited.actor = { channel: 'system', actor: 'mallory' }
    lines[2] = JSON.stringify(edited)
    expect(verifyChain(keyring, read(lines))).toMatchObject({ intact: false, brokenAt: 2 })
  })
})

describe('v2 entries', () => {
  it('store only what cannot be derived, and read back as the entries that were signed', () => {
    const { signed, lines } = storeChain(keyring, lifecycle)
    const stored = compact(lines)
    for (const e of stored) {
      expect(e.v).toBe(2)
      expect(e).not.toHaveProperty('seq')
      expect(e).not.toHaveProperty('prev')
      expect(e).not.toHaveProperty('hash')
      expect(typeof e.t).toBe('number')
    }
    // The key id once, until it changes; the usual state and Holdpoint's own actor left out.
    expect(stored.map((e) => e.i)).toEqual(['new', undefined, undefined, undefined, undefined])
    expect(stored[0]!.s).toBeUndefined()
    expect(stored[1]).not.toHaveProperty('a')
    expect(stored[2]!.s).toBe('delivered')
    expect(stored[0]!.a).toBe('api:refund-agent')
    expect(stored[3]!.a).toEqual({ c: 'dashboard', a: 'ana', n: 'Ana Ruiz', v: 'web' })
    // Only what someone said is sealed: the answer, not the channel it came through.
    expect(stored[3]!.d).toEqual({ via: 'dashboard' })
    expect(typeof stored[3]!.x).toBe('string')
    expect(stored[1]!.x).toBeUndefined()

    const entries = read(lines)
    expect(entries).toEqual(signed)
    expect(verifyChain(keyring, entries)).toEqual({ intact: true })
    // The same keys in the same order as a v1 entry, so exports read the same.
    expect(Object.keys(entries[3]!)).toEqual(Object.keys(JSON.parse(fixture.resolved.audit[5]!) as object))
    entries.forEach((e, i) => {
      expect(e.seq).toBe(i)
      expect(e.prev).toBe(i === 0 ? GENESIS : entries[i - 1]!.hash)
      expect(e.hash).toMatch(/^new\.[\w-]{22}$/)
      expect(e.at).toBe(new Date(Date.parse('2025-06-01T10:00:00Z') + i * 1000).toISOString())
    })
  })

  it('read back exactly whatever shape the actor, shown hash and data take', () => {
    const odd: AuditDraft[] = [
      { kind: 'created', actor: { channel: 'api', actor: 'agent:with:colons' }, shownHash: 'not-a-hex-digest', data: {} },
      { kind: 'reply.read', actor: { channel: 'email', actor: 'a@b.c', identities: ['email:a@b.c'] } as AuditDraft['actor'], data: { via: 'email', auth: { dmarc: 'pass' } } },
      { kind: 'timed_out', actor: { channel: 'system', actor: 'holdpoint', default: true }, data: JSON.parse('{"__proto__":{"x":1},"defaultResponse":{"approved":false}}') as Record<string, unknown> },
      { kind: 'free_text', actor: { channel: 'slack', actor: 'U1' }, data: { text: 'in my own words', assigned: true, via: 'slack.thread' } },
      { kind: 'extended', actor: { channel: 'api', actor: 'agent', via: 'agent' } },
    ]
    const { signed, lines } = storeChain(keyring, odd)
    const entries = read(lines)
    expect(entries).toEqual(JSON.parse(JSON.stringify(signed)))
    expect(Object.keys(entries[2]!.data!)).toContain('__proto__')
    expect(verifyChain(keyring, entries)).toEqual({ intact: true })
    expect(lines.join('\n')).not.toContain('in my own words')
  })

  it('name the new key once after a rotation', () => {
    const oldOnly = new Keyring(parseSecretKeys(fixture.secretKeys.split(',')[1]!))
    const rings = [oldOnly, oldOnly, keyring, keyring, keyring]
    const { lines } = storeChain(rings, lifecycle)
    expect(compact(lines).map((e) => e.i)).toEqual(['old', undefined, 'new', undefined, undefined])
    const entries = read(lines)
    expect(entries.map((e) => e.kid)).toEqual(['old', 'old', 'new', 'new', 'new'])
    expect(verifyChain(keyring, entries)).toEqual({ intact: true })
  })
})

describe('tampering with a v2 entry breaks the chain where it happened', () => {
  const { lines } = storeChain(keyring, lifecycle)
  const cases: Array<[string, (s: CompactEntry[]) => CompactEntry[], number]> = [
    ['time', (s) => (s[2]!.t += 1, s), 2],
    ['actor', (s) => ((s[3]!.a as Record<string, unknown>).a = 'mallory', s), 3],
    ['actor left out (read as Holdpoint)', (s) => (delete s[2]!.a, s), 2],
    ['readable data', (s) => (s[1]!.d = { recipient: 'email:eve@example.com' }, s), 1],
    ['readable data removed', (s) => (delete s[3]!.d, s), 3],
    ['sealed data replaced by other data sealed with the same key', (s) => (s[3]!.x = cipher.sealBlob('new', { response: { approved: false } }), s), 3],
    ['sealed data removed', (s) => (delete s[3]!.x, s), 3],
    ['kind', (s) => (s[2]!.k = 'answered', s), 2],
    ['state', (s) => (s[1]!.s = 'claimed', s), 1],
    ['shown hash', (s) => (s[0]!.h = s[0]!.h!.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), s), 0],
    ['tag', (s) => (s[4]!.m = s[4]!.m.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')), s), 4],
    ['order', (s) => [s[0]!, s[2]!, s[1]!, s[3]!, s[4]!], 1],
    ['a removed entry', (s) => [s[0]!, s[1]!, s[3]!, s[4]!], 2],
    ['key id changed to another valid key', (s) => (s[0]!.i = 'old', s), 0],
    ['key id removed', (s) => (delete s[0]!.i, s), 0],
    ['key id named where it did not change, as another key', (s) => (s[2]!.i = 'old', s), 2],
  ]
  it.each(cases)('%s', (_what, edit, brokenAt) => {
    const entries = read(relist(edit(compact(lines))))
    expect(verifyChain(keyring, entries)).toMatchObject({ intact: false, brokenAt })
  })

  it.each([
    ['not an object', () => 5],
    ['null', () => null],
    ['fields of the wrong types', () => ({ v: 2, k: 7, t: 'yesterday', a: 3, h: 4, d: 'x', x: 9, i: [], m: {} })],
    ['a linked v1 entry whose hash is not a string', () => ({ ...(JSON.parse(fixture.resolved.audit[2]!) as object), seq: 2, prev: read(lines)[1]!.hash, hash: 1 })],
  ])('an entry edited into %s reads without failing and breaks the chain', (_what, garbage) => {
    const s = lines.map((l) => JSON.parse(l) as unknown)
    s[2] = garbage()
    const entries = atRest.openAudit(s)
    expect(entries).toHaveLength(lines.length)
    expect(verifyChain(keyring, entries)).toMatchObject({ intact: false, brokenAt: 2 })
  })

  it('a sealed part that no longer opens reads as sealed and breaks the chain, without failing the read', () => {
    const s = compact(lines)
    s[3]!.x = `${s[3]!.x!.slice(0, -4)}AAAA`
    const entries = read(relist(s))
    expect(entries[3]!.data).toEqual({ via: 'dashboard', $sealed: s[3]!.x })
    expect(verifyChain(keyring, entries)).toMatchObject({ intact: false, brokenAt: 3 })
  })
})

describe('in Redis', () => {
  let redis: Redis
  let prefix: string

  beforeAll(() => {
    redis = new Redis(testRedisUrl())
    prefix = randomPrefix()
  })
  afterAll(async () => {
    redis.disconnect()
    await deleteKeys(testRedisUrl(), prefix)
  })

  function engineOn(ring: Keyring): { engine: Engine; store: CheckpointStore } {
    const store = new CheckpointStore(redis, prefix, new FieldCipher(ring))
    return { engine: new Engine({ store, keyring: ring, dispatcher: { dispatch: async () => undefined } }), store }
  }

  it('keeps what people said sealed and who, what and when readable; the chain verifies and archives', async () => {
    const { engine, store } = engineOn(keyring)
    const { checkpoint } = await engine.create(refundSpec, 'refund-agent')
    const id = checkpoint.id
    await engine.send(id, (now) => ({ type: 'checkpoint.delivered', now, recipient: 'email:ana@example.com' }))
    await engine.answer({ id, by: ana, response: { approved: true, note: SECRET }, via: 'email' })
    await engine.note(id, { kind: 'resumed', actor: { channel: 'system', actor: 'webhook' }, data: { target: 'webhook', attempt: 1, status: 200 } })

    const raw = await redis.lrange(store.keys.audit(id), 0, -1)
    const text = raw.join('\n')
    expect(text).not.toContain(SECRET)
    expect(text).not.toContain('approved')
    expect(text).toContain('email:ana@example.com')
    expect(text).toContain('"k":"answered"')

    const entries = await store.readAudit(id)
    expect(verifyChain(keyring, entries)).toEqual({ intact: true })
    expect(entries.map((e) => [e.kind, e.state])).toEqual([
      ['created', 'pending'],
      ['delivered', 'delivered'],
      ['answered', 'resolved'],
      ['resumed', 'resolved'],
    ])
    expect(entries[2]!.data).toEqual({ via: 'email', response: { approved: true, note: SECRET } })
    // Read as the archiver reads it: the record's head is the last entry's hash.
    const stored = await new RetentionStore(redis, prefix).read(id, Date.now())
    expect(stored).not.toBeNull()
    expect(entries.at(-1)!.hash).toBe(stored!.stored.head)

    // The archive keeps the stored entries: sealed stays sealed, and it verifies against the head.
    const line = buildLine(id, stored!.stored, raw, Date.now(), 'https://holdpoint.example')
    expect(JSON.stringify(line)).not.toContain(SECRET)
    expect(verifyLine(line, keyring, cipher)).toEqual({ intact: true })
    expect(openLine(line, cipher).audit).toEqual(entries)
    expect(JSON.stringify(sealedAudit(line))).not.toContain(SECRET)
    expect(verifyLine({ ...line, audit: line.audit.slice(0, -1) }, keyring, cipher)).toMatchObject({ intact: false, brokenAt: 3 })
  })

  it('continues a v1 chain (key rotated mid-way) with v2 entries; the mixed chain verifies', async () => {
    const { engine, store } = engineOn(keyring)
    const { id, fields, audit } = fixture.pending
    await redis.hset(store.keys.checkpoint(id), fields as unknown as Record<string, string>)
    await redis.rpush(store.keys.audit(id), ...audit)

    await engine.note(id, { kind: 'viewed', actor: { channel: 'dashboard', actor: 'ana' }, data: { via: 'dashboard' } })
    const outcome = await engine.answer({ id, by: ana, response: { approved: false, note: SECRET }, via: 'email' })
    expect(outcome.status).toBe('recorded')

    const raw = await redis.lrange(store.keys.audit(id), 0, -1)
    expect(raw.slice(0, audit.length)).toEqual(audit)
    const added = compact(raw.slice(audit.length))
    expect(added.map((e) => [e.v, e.k, e.i])).toEqual([
      [2, 'viewed', 'new'],
      [2, 'answered', undefined],
    ])
    expect(raw.join('\n')).not.toContain(SECRET)

    const entries = await store.readAudit(id)
    expect(entries.map((e) => e.kid)).toEqual(['old', 'old', 'new', 'new', 'new', 'new'])
    expect(entries[4]!.prev).toBe(JSON.parse(audit[3]!).hash)
    expect(verifyChain(keyring, entries)).toEqual({ intact: true })

    // An edit on either side of the upgrade still shows, at its entry.
    const v1Edited = JSON.parse(raw[1]!) as AuditEntry
    v1Edited.at = '2025-03-01T09:00:00.000Z'
    expect(verifyChain(keyring, read([raw[0]!, JSON.stringify(v1Edited), ...raw.slice(2)]))).toMatchObject({ intact: false, brokenAt: 1 })
    const v2Edited = added[1]!
    v2Edited.t -= 60_000
    expect(verifyChain(keyring, read([...raw.slice(0, 5), JSON.stringify(v2Edited)]))).toMatchObject({ intact: false, brokenAt: 5 })
    // Removing the last v1 entry breaks the first v2 one, which signed it as its `prev`.
    expect(verifyChain(keyring, read([...raw.slice(0, 3), ...raw.slice(4)]))).toMatchObject({ intact: false, brokenAt: 3 })
  })
})
