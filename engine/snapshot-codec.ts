import type { PersistedCheckpoint } from '../machine/index.js'
import type { CheckpointContext } from '../machine/types.js'

/**
 * The persisted snapshot without the context fields that still hold their initial value
 * (most checkpoints never escalate, remind, collect a quorum or get verified). Redis memory
 * per pending checkpoint is a headline figure, and these defaults were a third of it.
 * Decoding puts the defaults back, so the machine always sees a complete context.
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

const isDefault = (key: string, value: unknown): boolean => {
  if (!(key in DEFAULTS)) return false
  const d = (DEFAULTS as Record<string, unknown>)[key]
  return Array.isArray(d) ? Array.isArray(value) && value.length === 0 : value === d
}

export function encodeSnapshot(p: PersistedCheckpoint): string {
  const context: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(p.context)) if (!isDefault(key, value)) context[key] = value
  // tierNotify usually repeats notify; store it only when escalation changed it.
  if (JSON.stringify(p.context.tierNotify) === JSON.stringify(p.context.notify)) delete context.tierNotify
  return JSON.stringify({ value: p.value, context })
}

export function decodeSnapshot(json: string): PersistedCheckpoint {
  const stored = JSON.parse(json) as { value: unknown; context: Partial<CheckpointContext> & Pick<CheckpointContext, 'notify'> }
  const context = { ...structuredClone(DEFAULTS), ...stored.context } as CheckpointContext
  context.tierNotify ??= context.notify
  return { value: stored.value, context }
}
