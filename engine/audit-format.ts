import type { RespondedBy } from '../machine/types.js'
import { GENESIS, kidOfHash, type AuditEntry } from './audit.js'
import type { FieldCipher } from './field-cipher.js'

/**
 * How audit entries are stored in Redis (and, unchanged, in archive lines). v1 entries were
 * the reader's entry with `data` sealed whole; they are still read as they are. v2 entries
 * (written today) keep only what cannot be derived, under one-letter names:
 *
 * | field | holds | derived instead |
 * |---|---|---|
 * | `v` | 2 | |
 * | `k` | kind | |
 * | `t` | time, epoch ms | ISO `at` for readers |
 * | `s` | state after the step, when not the kind's usual one (USUAL_STATE) | |
 * | `a` | actor: `channel:actor`; with a name, via or default the object under ACTOR_KEYS' names; absent for Holdpoint itself | |
 * | `h` / `H` | shownHash: a hex SHA-256 as base64url (`h`), anything else verbatim (`H`) | |
 * | `d` | the readable part of `data`: who, where, which attempt (READABLE keys) | |
 * | `x` | the rest of `data` (answers, reasons, free text, anything unknown) sealed as one blob under the entry's key | |
 * | `i` | key id, only when it differs from the previous entry's | from the previous hash |
 * | `m` | the 128-bit tag of the entry's hash | `hash` = `<kid>.<m>` |
 * | | | `seq` = position, `prev` = the previous entry's hash |
 *
 * USUAL_STATE, ACTOR_KEYS and the default actor decide how stored entries read: changing one
 * misreads entries already written (their chains then break), so that needs a new format
 * version. READABLE only decides where a new entry puts a key (reading merges both parts), so
 * keys may join or leave it freely.
 */

export interface CompactEntry {
  v: 2
  k: string
  t: number
  s?: string
  a?: string | Record<string, unknown>
  h?: string
  H?: string
  d?: Record<string, unknown>
  x?: string
  i?: string
  m: string
}

/** A v1 entry as stored: the reader's entry, `data` possibly `{ $sealed }`. */
export type StoredEntryV1 = AuditEntry

export type StoredAuditEntry = StoredEntryV1 | CompactEntry

/** Keys of `data` that say who, where, when or which attempt, never what anyone said. */
const READABLE = new Set([
  'via',
  'recipient',
  'recipients',
  'notify',
  'assignTo',
  'delegatedFrom',
  'decidedBy',
  'releasedBy',
  'assignedBy',
  'confirmedBy',
  'tier',
  'reminder',
  'timeoutAt',
  'expiresAt',
  'maxDays',
  'attempt',
  'attempts',
  'tries',
  'final',
  'passed',
  'model',
  'target',
  'messageId',
  'activityId',
  'status',
  'attempted',
  'page',
  'proposed',
  'assigned',
  'batch',
  'bulk',
  'device',
  'rule',
  'from',
  'redrive',
])

/** The state a kind of entry nearly always leaves the checkpoint in; `s` only when it differs. */
const USUAL_STATE: ReadonlyMap<unknown, string> = new Map([
  ['created', 'pending'],
  ['delivered', 'delivered'],
  ['claimed', 'claimed'],
  ['answered', 'resolved'],
  ['cancelled', 'cancelled'],
  ['timed_out', 'expired'],
])

const HOLDPOINT: RespondedBy = { channel: 'system', actor: 'holdpoint' }
/** An actor with only these keys is stored under their short names; any other key keeps the whole object as it is. */
const ACTOR_KEYS: ReadonlyArray<[keyof RespondedBy, string]> = [
  ['channel', 'c'],
  ['actor', 'a'],
  ['name', 'n'],
  ['via', 'v'],
  ['default', 'f'],
]
const HEX_SHA256 = /^[0-9a-f]{64}$/

function ownKeys(value: object): string[] {
  return Object.keys(value).filter((k) => (value as Record<string, unknown>)[k] !== undefined)
}

function encodeActor(actor: RespondedBy): string | Record<string, unknown> | undefined {
  const keys = ownKeys(actor)
  if (keys.length === 2 && typeof actor.channel === 'string' && typeof actor.actor === 'string' && !actor.channel.includes(':')) {
    return actor.channel === HOLDPOINT.channel && actor.actor === HOLDPOINT.actor ? undefined : `${actor.channel}:${actor.actor}`
  }
  // Read back by its `channel` key, so an actor kept whole must have one.
  if (typeof actor.channel !== 'string') throw new Error('an audit actor needs a channel')
  if (!keys.every((k) => ACTOR_KEYS.some(([long]) => long === k))) return { ...actor }
  return Object.fromEntries(ACTOR_KEYS.filter(([long]) => actor[long] !== undefined).map(([long, short]) => [short, actor[long]]))
}

function decodeActor(a: unknown): RespondedBy {
  if (a === undefined) return { ...HOLDPOINT }
  if (typeof a === 'string') {
    const colon = a.indexOf(':')
    return { channel: a.slice(0, colon), actor: a.slice(colon + 1) }
  }
  const stored = (a !== null && typeof a === 'object' ? a : {}) as Record<string, unknown>
  if ('channel' in stored) return stored as unknown as RespondedBy
  return Object.fromEntries(ACTOR_KEYS.filter(([, short]) => stored[short] !== undefined).map(([long, short]) => [long, stored[short]])) as unknown as RespondedBy
}

/**
 * The v2 form of a freshly signed entry. `cipher` null stores `data` in the clear (tests of
 * the store without keys).
 */
export function encodeEntry(entry: AuditEntry, cipher: FieldCipher | null): CompactEntry {
  const { kid, hash } = entry
  if (kidOfHash(hash) !== kid) throw new Error('only v2 entries (hash <kid>.<tag>) are written')
  const out: CompactEntry = { v: 2, k: entry.kind, t: Date.parse(entry.at), m: hash.slice(kid.length + 1) }
  if (USUAL_STATE.get(entry.kind) !== entry.state) out.s = entry.state
  const actor = encodeActor(entry.actor)
  if (actor !== undefined) out.a = actor
  if (entry.shownHash !== undefined) {
    if (HEX_SHA256.test(entry.shownHash)) out.h = Buffer.from(entry.shownHash, 'hex').toString('base64url')
    else out.H = entry.shownHash
  }
  if (entry.data !== undefined) {
    const keys = ownKeys(entry.data)
    const sensitive = cipher ? keys.filter((k) => !READABLE.has(k)) : []
    const readable = keys.filter((k) => !sensitive.includes(k))
    // fromEntries, not assignment: a `__proto__` key stays a key.
    const pick = (ks: string[]) => Object.fromEntries(ks.map((k) => [k, entry.data![k]]))
    if (readable.length > 0 || sensitive.length === 0) out.d = pick(readable)
    if (sensitive.length > 0) out.x = cipher!.sealBlob(kid, pick(sensitive))
  }
  if (kidOfHash(entry.prev) !== kid) out.i = kid
  return out
}

function isCompact(stored: unknown): stored is CompactEntry {
  return stored !== null && typeof stored === 'object' && (stored as { v?: unknown }).v === 2
}

/** The kind of a stored entry of either format, without opening anything. */
export function storedKind(stored: unknown): string {
  return String(isCompact(stored) ? stored.k : (stored as Partial<AuditEntry>).kind)
}

function isoTime(t: unknown): string {
  const date = new Date(typeof t === 'number' ? t : Number.NaN)
  return Number.isNaN(date.getTime()) ? String(t) : date.toISOString()
}

/**
 * A sealed part that does not open (altered, or its key removed) stays sealed, in view: the
 * entry then fails verification, since its hash signed the plaintext, instead of the read failing.
 */
function attempt<T>(open: () => T, sealed: T): T {
  try {
    return open()
  } catch {
    return sealed
  }
}

function decodeData(c: CompactEntry, kid: string, cipher: FieldCipher | null): Record<string, unknown> | undefined {
  const x = c.x
  if (c.d === undefined && x === undefined) return undefined
  const sealed = { $sealed: x }
  const hidden = x === undefined ? {} : cipher ? attempt(() => cipher.openBlob(kid, x) as Record<string, unknown>, sealed) : sealed
  return { ...c.d, ...hidden }
}

/** In v1's key order, so an entry reads (and exports) the same whichever format stored it. */
function decodeCompact(c: CompactEntry, seq: number, prev: string, cipher: FieldCipher | null): AuditEntry {
  const kid = c.i ?? kidOfHash(prev) ?? ''
  const shownHash = c.h !== undefined ? Buffer.from(String(c.h), 'base64url').toString('hex') : c.H
  const data = decodeData(c, kid, cipher)
  return {
    seq,
    at: isoTime(c.t),
    state: c.s ?? USUAL_STATE.get(c.k) ?? '',
    prev,
    kind: c.k,
    actor: decodeActor(c.a),
    ...(shownHash !== undefined && { shownHash }),
    ...(data !== undefined && { data }),
    kid,
    hash: `${kid}.${c.m}`,
  }
}

function decodeV1(raw: unknown, cipher: FieldCipher | null): AuditEntry {
  // Anything but an object (an edited line) reads as an entry with no fields: it fails verification.
  const v1 = (raw !== null && typeof raw === 'object' ? raw : {}) as StoredEntryV1
  const data = v1.data
  if (data === undefined || !cipher) return v1
  return { ...v1, data: attempt(() => cipher.open(data) as Record<string, unknown>, data) }
}

/**
 * Stored entries, in list order, as readers see them: v2 fields derived from their place in
 * the list, sealed parts opened (left sealed when `cipher` is null). Never throws for what
 * Redis holds; verification is verifyChain's, and a derived link cannot hide an edit because
 * every hash signs its `seq` and `prev`.
 */
export function decodeEntries(stored: readonly unknown[], cipher: FieldCipher | null): AuditEntry[] {
  const entries: AuditEntry[] = []
  let prev = GENESIS
  for (const [i, raw] of stored.entries()) {
    const entry = isCompact(raw) ? decodeCompact(raw, i, prev, cipher) : decodeV1(raw, cipher)
    entries.push(entry)
    prev = typeof entry.hash === 'string' ? entry.hash : ''
  }
  return entries
}
