import { timingSafeEqual } from 'node:crypto'
import { canonicalJson } from './canonical-json.js'
import type { Keyring } from './keyring.js'
import type { RespondedBy } from '../machine/types.js'

/**
 * Audit entries: append-only, one per step, each linked to the previous one by a keyed hash
 * (HMAC with a key derived from HOLDPOINT_SECRET_KEYS). Editing, dropping or reordering an
 * entry breaks every later link, and without the server key the chain cannot be re-forged.
 *
 * Two formats, told apart by the hash. v1 (the first): `hash` is the whole HMAC-SHA256 of the
 * canonical entry without `hash` and `kid`. v2 (written today): `hash` is `<kid>.<tag>`, the
 * tag being the first 128 bits of the HMAC of the canonical entry with `v: 2`, its `kid` and
 * its time as epoch ms. A chain may hold v1 entries followed by v2 ones (an upgrade), or
 * any mix; each entry is checked by its own format. How v2 is stored: engine/audit-format.ts.
 */

export type AuditKind =
  | 'created'
  | 'delivered'
  | 'delivery.failed'
  | 'claimed'
  | 'released'
  | 'answered'
  | 'resolved'
  | 'expired'
  | 'cancelled'
  | 'refused'
  | 'resumed'
  | 'resume.failed'
  | 'viewed'
  | (string & {})

export interface AuditDraft {
  kind: AuditKind
  /** Who acted. Agents appear as `api` with the token name; timers as `system`. */
  actor: RespondedBy
  /** Hash of what the person was shown when they acted (the rendered request). */
  shownHash?: string
  /** Kind-specific facts: the answer, a refusal reason, a delivery target, an HTTP status. */
  data?: Record<string, unknown>
}

/** An entry as readers see it, whichever format stored it. */
export interface AuditEntry extends AuditDraft {
  seq: number
  at: string
  /** The checkpoint's state after this step. */
  state: string
  prev: string
  kid: string
  hash: string
}

const PURPOSE = 'audit-chain'
export const GENESIS = 'genesis'
/** 128 bits: forging one still takes 2^128 guesses without the key (RFC 2104 §5 allows truncation to half). */
const TAG_BYTES = 16

/** The key id a v2 hash names; undefined for a v1 hash (base64url, no dot) and for genesis. */
export function kidOfHash(hash: string): string | undefined {
  const dot = hash.lastIndexOf('.')
  return dot > 0 ? hash.slice(0, dot) : undefined
}

function linkInputV1(entry: Omit<AuditEntry, 'hash' | 'kid'>): string {
  return canonicalJson(entry)
}

function linkInputV2(entry: Omit<AuditEntry, 'hash'>): string {
  return canonicalJson({ ...entry, at: Date.parse(entry.at), v: 2 })
}

/**
 * `linkInputV2` of an entry `sealEntry` just built, written without sorting or copying it: its
 * fields are known, so they are written in canonical (sorted) order directly. Every commit seals
 * one to three entries, and the generic path (a spread copy, an ISO date parsed back, a sort)
 * was the larger part of sealing. Verification keeps the generic path: a stored entry may hold
 * anything. engine/audit.test.ts holds the two to the same text.
 */
export function sealedLinkInput(entry: Omit<AuditEntry, 'hash'>, atMs: number): string {
  let out = `{"actor":${canonicalJson(entry.actor)},"at":${atMs}`
  if (entry.data !== undefined) out += `,"data":${canonicalJson(entry.data)}`
  out += `,"kid":${JSON.stringify(entry.kid)},"kind":${JSON.stringify(entry.kind)},"prev":${JSON.stringify(entry.prev)},"seq":${JSON.stringify(entry.seq)}`
  if (entry.shownHash !== undefined) out += `,"shownHash":${JSON.stringify(entry.shownHash)}`
  return `${out},"state":${JSON.stringify(entry.state)},"v":2}`
}

function tagOf(keyring: Keyring, kid: string, linkInput: string): string | undefined {
  const mac = keyring.macBytes(kid, PURPOSE, linkInput)
  return mac && `${kid}.${mac.subarray(0, TAG_BYTES).toString('base64url')}`
}

function hashV2(keyring: Keyring, entry: Omit<AuditEntry, 'hash'>): string | undefined {
  return tagOf(keyring, entry.kid, linkInputV2(entry))
}

export function sealEntry(
  keyring: Keyring,
  draft: AuditDraft,
  meta: { seq: number; at: number; state: string; prev: string },
): AuditEntry {
  // Only the fields v2 stores: anything else on the draft would be signed but not kept.
  // Assigned in this order (not spread in) so the entry keeps its key order without V8's slow
  // path for conditional spreads.
  const at = new Date(meta.at)
  const entry = { seq: meta.seq, at: at.toISOString(), state: meta.state, prev: meta.prev, kind: draft.kind, actor: draft.actor } as AuditEntry
  if (draft.shownHash !== undefined) entry.shownHash = draft.shownHash
  if (draft.data !== undefined) entry.data = draft.data
  entry.kid = keyring.primaryKid
  // getTime, not meta.at: the stored ISO time has whole milliseconds, and verification signs what it reads back.
  entry.hash = tagOf(keyring, entry.kid, sealedLinkInput(entry, at.getTime()))!
  return entry
}

export interface ChainCheck {
  intact: boolean
  /** Sequence number of the first entry whose link does not hold. */
  brokenAt?: number
  reason?: string
}

function sameString(a: string | undefined, b: string): boolean {
  if (a === undefined) return false
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function signedBy(keyring: Keyring, entry: AuditEntry): boolean {
  const { hash, ...signed } = entry
  if (typeof hash !== 'string') return false
  if (kidOfHash(hash) !== undefined) return sameString(hashV2(keyring, signed), hash)
  const { kid, ...body } = signed
  return keyring.verify(kid, PURPOSE, linkInputV1(body), hash)
}

export function verifyChain(keyring: Keyring, entries: readonly AuditEntry[]): ChainCheck {
  let prev = GENESIS
  for (const [i, entry] of entries.entries()) {
    if (entry.prev !== prev) return { intact: false, brokenAt: i, reason: 'link to the previous entry does not match' }
    if (entry.seq !== i) return { intact: false, brokenAt: i, reason: 'sequence number out of order' }
    if (!signedBy(keyring, entry)) return { intact: false, brokenAt: i, reason: 'entry was altered or signed with an unknown key' }
    prev = entry.hash
  }
  return { intact: true }
}
