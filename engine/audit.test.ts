import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { canonicalJson } from './canonical-json.js'
import { Keyring } from './keyring.js'
import { GENESIS, sealEntry, sealedLinkInput, verifyChain, type AuditDraft, type AuditEntry } from './audit.js'

const keyring = new Keyring([{ kid: 'k1', key: Buffer.alloc(32, 7) }])
const text = fc.string({ unit: 'binary', maxLength: 12 })
const json = fc.jsonValue({ maxDepth: 3 })
const draft: fc.Arbitrary<AuditDraft> = fc.record(
  {
    kind: fc.oneof(fc.constantFrom('created', 'delivered', 'answered', 'resumed'), text),
    actor: fc.record({ channel: text, actor: text, name: fc.option(text, { nil: undefined }) }, { requiredKeys: ['channel', 'actor'] }),
    shownHash: text,
    data: fc.dictionary(text, json, { maxKeys: 4 }),
  },
  { requiredKeys: ['kind', 'actor'] },
)
const meta = fc.record({
  seq: fc.nat({ max: 10_000 }),
  // Fractional milliseconds too: the stored time has whole ones.
  at: fc.double({ min: 0, max: 4_102_444_800_000, noNaN: true }),
  state: fc.constantFrom('pending', 'delivered', 'resolved', 'expired'),
  prev: fc.oneof(fc.constant(GENESIS), text),
})

describe('sealEntry', () => {
  it('signs the same text the generic canonical form of the entry gives, for any draft', () => {
    fc.assert(
      fc.property(draft, meta, (d, m) => {
        const { hash: _hash, ...signed } = sealEntry(keyring, d, m)
        const generic = canonicalJson({ ...signed, at: Date.parse(signed.at), v: 2 })
        expect(sealedLinkInput(signed, Date.parse(signed.at))).toBe(generic)
      }),
      { numRuns: 2000 },
    )
  })

  it('seals entries that verification accepts, and a changed field breaks the chain', () => {
    fc.assert(
      fc.property(fc.array(draft, { minLength: 1, maxLength: 5 }), (drafts) => {
        const chain: AuditEntry[] = []
        for (const [i, d] of drafts.entries()) chain.push(sealEntry(keyring, d, { seq: i, at: 1_700_000_000_000 + i, state: 'delivered', prev: chain.at(-1)?.hash ?? GENESIS }))
        expect(verifyChain(keyring, chain)).toEqual({ intact: true })
        const last = chain.at(-1)!
        const altered = [...chain.slice(0, -1), { ...last, data: { ...last.data, injected: true } }]
        expect(verifyChain(keyring, altered).intact).toBe(false)
      }),
      { numRuns: 300 },
    )
  })

  it('keeps the stored key order: seq, at, state, prev, kind, actor, shownHash, data, kid, hash', () => {
    const entry = sealEntry(keyring, { kind: 'answered', actor: { channel: 'api', actor: 'a' }, shownHash: 'h', data: { x: 1 } }, { seq: 0, at: 0, state: 'resolved', prev: GENESIS })
    expect(Object.keys(entry)).toEqual(['seq', 'at', 'state', 'prev', 'kind', 'actor', 'shownHash', 'data', 'kid', 'hash'])
  })
})
