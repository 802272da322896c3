import { canonicalJson } from './canonical-json.js'
import type { Keyring } from './keyring.js'
import type { RespondedBy } from '../machine/types.js'

/**
 * Audit entries: append-only, one per step, each linked to the previous one by a keyed hash
 * (HMAC with a key derived from HOLDPOINT_SECRET_KEYS). Editing, dropping or reordering an
 * entry breaks every later link, and without the server key the chain cannot be re-forged.
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

function linkInput(entry: Omit<AuditEntry, 'hash' | 'kid'>): string {
  return canonicalJson(entry)
}

export function sealEntry(
  keyring: Keyring,
  draft: AuditDraft,
  meta: { seq: number; at: number; state: string; prev: string },
): AuditEntry {
  const body: Omit<AuditEntry, 'hash' | 'kid'> = {
    seq: meta.seq,
    at: new Date(meta.at).toISOString(),
    state: meta.state,
    prev: meta.prev,
    ...draft,
  }
  const { kid, mac } = keyring.sign(PURPOSE, linkInput(body))
  return { ...body, kid, hash: mac }
}

export interface ChainCheck {
  intact: boolean
  /** Sequence number of the first entry whose link does not hold. */
  brokenAt?: number
  reason?: string
}

export function verifyChain(keyring: Keyring, entries: readonly AuditEntry[]): ChainCheck {
  let prev = GENESIS
  for (const [i, entry] of entries.entries()) {
    const { hash, kid, ...body } = entry
    if (body.prev !== prev) return { intact: false, brokenAt: i, reason: 'link to the previous entry does not match' }
    if (body.seq !== i) return { intact: false, brokenAt: i, reason: 'sequence number out of order' }
    if (!keyring.verify(kid, PURPOSE, linkInput(body), hash)) {
      return { intact: false, brokenAt: i, reason: 'entry was altered or signed with an unknown key' }
    }
    prev = hash
  }
  return { intact: true }
}
