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

function hashV2(keyring: Keyring, entry: Omit<AuditEntry, 'hash'>): string | undefined {
  const mac = keyring.macWith(entry.kid, PURPOSE, linkInputV2(entry))
  return mac && `${entry.kid}.${Buffer.from(mac, 'base64url').subarray(0, TAG_BYTES).toString('base64url')}`
}

export function sealEntry(
  keyring: Keyring,
  draft: AuditDraft,
  meta: { seq: number; at: number; state: string; prev: string },
): AuditEntry {
  // Only the fields v2 stores: anything else on the draft would be signed but not kept.
  const body: Omit<AuditEntry, 'hash'> = {
    seq: meta.seq,
    at: new Date(meta.at).toISOString(),
    state: meta.state,
    prev: meta.prev,
    kind: draft.kind,
    actor: draft.actor,
    ...(draft.shownHash !== undefined && { shownHash: draft.shownHash }),
    ...(draft.data !== undefined && { data: draft.data }),
    kid: keyring.primaryKid,
  }
  return { ...body, hash: hashV2(keyring, body)! }
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
