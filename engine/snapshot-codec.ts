import type { PersistedCheckpoint } from '../machine/index.js'
import { isTerminal, type CheckpointContext, type CheckpointState } from '../machine/types.js'
import { stateOf } from '../machine/step.js'
import { sameCanonical } from './canonical-json.js'

/**
 * Context fields every checkpoint starts with, whatever it asked for (most checkpoints never
 * escalate, remind, collect a quorum or get verified). Redis memory per pending checkpoint is
 * a headline figure, and storing these defaults was a third of it.
 */
const DEFAULTS: Partial<CheckpointContext> = {
  deliveredTo: [],
  claimedBy: null,
  response: null,
  respondedBy: null,
  cancelReason: null,
  onTimeout: null,
  tier: 0,
  escalation: [],
  nextEscalationAt: null,
  reminders: null,
  remindersSent: 0,
  nextReminderAt: null,
  quorum: null,
  answers: [],
  outcome: null,
  verify: null,
  attempts: 0,
  pendingAnswer: null,
  lastVerdict: null,
}

/** `target[key] = value`, except that a `__proto__` key stays data, as in a spread. */
function put(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true })
  else target[key] = value
}

/**
 * A deep copy of plain JSON data (what a context holds), so a decoded context shares no array
 * with the defaults or the baseline. structuredClone did this at several times the cost.
 */
function copyPlain<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(copyPlain) as T
  const out: Record<string, unknown> = {}
  // An agent's `__proto__` key (JSON.parse makes it an own property) stays data.
  for (const key of Object.keys(value)) put(out, key, copyPlain((value as Record<string, unknown>)[key]))
  return out as T
}

const isDefault = (key: string, value: unknown): boolean => {
  if (!(key in DEFAULTS)) return false
  const d = (DEFAULTS as Record<string, unknown>)[key]
  return Array.isArray(d) ? Array.isArray(value) && value.length === 0 : value === d
}

/**
 * The standalone encoding: the snapshot without its default fields, readable on its own.
 * Records written before the one-string record (engine/checkpoint-record.ts) hold it in their
 * `snap` field, and archive lines keep it so that a line needs nothing else to be read.
 */
export function encodeSnapshot(p: PersistedCheckpoint): string {
  const context: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(p.context)) if (!isDefault(key, value)) context[key] = value
  // tierNotify usually repeats notify; store it only when escalation changed it.
  if (JSON.stringify(p.context.tierNotify) === JSON.stringify(p.context.notify)) delete context.tierNotify
  return JSON.stringify({ value: p.value, context })
}

export function decodeSnapshot(json: string): PersistedCheckpoint {
  const stored = JSON.parse(json) as { value: unknown; context: Partial<CheckpointContext> & Pick<CheckpointContext, 'notify'> }
  const context = derivedContext(stored.context) as unknown as CheckpointContext
  context.tierNotify ??= context.notify
  return { value: stored.value, context }
}

// Spreading the baseline over DEFAULTS (`{ ...DEFAULTS, ...baseline }`) cost about 25 µs on
// Node 20, every encode and decode: each overwritten key is a slow-path store. These read the
// same values key by key instead.

/** What a context field is when the snapshot does not say: the baseline's, else the default. */
function derivedValue(baseline: Partial<CheckpointContext>, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(baseline, key) ? (baseline as Record<string, unknown>)[key] : (DEFAULTS as Record<string, unknown>)[key]
}

const DEFAULT_KEYS = Object.keys(DEFAULTS)

/** A fresh copy of the defaults with the baseline over them, keys in the order the spread gave. */
function derivedContext(baseline: Partial<CheckpointContext>): Record<string, unknown> {
  const context: Record<string, unknown> = {}
  for (const key of DEFAULT_KEYS) context[key] = copyPlain(derivedValue(baseline, key))
  for (const key of Object.keys(baseline)) if (!Object.prototype.hasOwnProperty.call(DEFAULTS, key)) put(context, key, copyPlain((baseline as Record<string, unknown>)[key]))
  return context
}

/** The machine's value for a state: `{open: <state>}` while open, the state's name once final. */
const valueOf = (state: CheckpointState): unknown => (isTerminal(state) ? state : { open: state })

/**
 * The compact encoding, a difference from a baseline: the defaults above plus what the
 * request and id already say (who is notified, the deadline, the routing rules; see
 * engine/checkpoint-input.ts), so a snapshot repeats nothing its record holds elsewhere.
 * Recipients in `deliveredTo` that are also in `notify` are written as their index there.
 * Typically `{"s":"delivered","deliveredTo":[0,1],"updatedAt":…}`.
 *
 * `plain` decides which fields differ (compared in plaintext, since sealing makes equal
 * values differ); the stored values are taken from `stored`, the same snapshot sealed.
 * The baseline must be the one decoding will compute from the same request and id.
 */
export function encodeCompactSnapshot(plain: PersistedCheckpoint, baseline: Partial<CheckpointContext>, stored: PersistedCheckpoint = plain): string {
  const out: Record<string, unknown> = {}
  const state = stateOf(plain)
  if (sameCanonical(valueOf(state), plain.value)) out.s = state
  else out.value = stored.value
  const sealed = stored.context as unknown as Record<string, unknown>
  const context = plain.context as unknown as Record<string, unknown>
  for (const key of Object.keys(context)) {
    const derived = derivedValue(baseline, key)
    if (derived === undefined || !sameCanonical(derived, context[key])) out[key] = sealed[key]
  }
  const { notify, deliveredTo } = plain.context
  if (out.deliveredTo !== undefined) out.deliveredTo = deliveredTo.map((r) => (notify.includes(r) ? notify.indexOf(r) : r))
  return JSON.stringify(out)
}

function notified(notify: readonly string[], index: number): string {
  const recipient = notify[index]
  if (recipient === undefined) throw new Error(`snapshot names recipient ${index} of ${notify.length} notified`)
  return recipient
}

export function decodeCompactSnapshot(json: string, baseline: Partial<CheckpointContext>): PersistedCheckpoint {
  const { s, value, deliveredTo, ...fields } = JSON.parse(json) as { s?: CheckpointState; value?: unknown; deliveredTo?: Array<string | number> } & Omit<Partial<CheckpointContext>, 'deliveredTo'>
  const context = derivedContext(baseline)
  for (const key of Object.keys(fields)) put(context, key, (fields as Record<string, unknown>)[key])
  const decoded = context as unknown as CheckpointContext
  if (deliveredTo !== undefined) decoded.deliveredTo = deliveredTo.map((r) => (typeof r === 'number' ? notified(decoded.notify, r) : r))
  return { value: s === undefined ? value : valueOf(s), context: decoded }
}
