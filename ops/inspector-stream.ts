import type { StatelyInspectionEvent } from '@statelyai/inspect'
import type { AuditEntry } from '../engine/audit.js'
import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'
import { checkpointMachine } from '../machine/checkpoint-machine.js'
import { isTerminal } from '../machine/types.js'

/** Audit kinds that record a machine event, mapped back to the event's type. */
const EVENT_OF_KIND: Record<string, string> = {
  delivered: 'checkpoint.delivered',
  claimed: 'checkpoint.claim',
  released: 'checkpoint.release',
  answered: 'checkpoint.answer',
  cancelled: 'checkpoint.cancel',
  timed_out: 'checkpoint.timeout',
  escalated: 'checkpoint.escalate',
  reminded: 'checkpoint.remind',
  extended: 'checkpoint.extend',
  reassigned: 'checkpoint.reassign',
  verified: 'checkpoint.verdict',
}

const INSPECT_PROTOCOL_VERSION = '0.7.2'
const REMEMBERED = 10_000

/**
 * Only what helps to follow the machine: state, ids, routing and timestamps. Payloads,
 * answers (also pending, quorum and default ones), verdict reasons and cancel reasons are
 * the agent's and the reviewers' data and never leave the server this way.
 */
export function inspectableContext(cp: LoadedCheckpoint): Record<string, unknown> {
  const c = cp.persisted.context
  return {
    id: c.id,
    state: cp.state,
    tier: c.tier,
    notify: c.notify,
    assignTo: c.assignTo,
    deliveredTo: c.deliveredTo,
    claimedBy: c.claimedBy,
    respondedBy: c.respondedBy,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    timeoutAt: c.timeoutAt,
    nextEscalationAt: c.nextEscalationAt,
    nextReminderAt: c.nextReminderAt,
    remindersSent: c.remindersSent,
    attempts: c.attempts,
    answersCount: c.answers.length,
  }
}

/** The event as the inspector shows it: its type and who or what sent it, never its data. */
function inspectableEvent(entry: AuditEntry): { type: string; [key: string]: unknown } {
  const type = EVENT_OF_KIND[entry.kind] ?? `holdpoint.${entry.kind}`
  const recipient = entry.kind === 'delivered' && typeof entry.data?.recipient === 'string' ? { recipient: entry.data.recipient } : {}
  return { type, by: `${entry.actor.channel}:${entry.actor.actor}`, at: entry.at, ...recipient }
}

/**
 * Turns a checkpoint's committed history into Stately inspector messages: `@xstate.actor`
 * the first time a checkpoint is seen (with the machine definition, so the inspector draws
 * it), then `@xstate.event` + `@xstate.snapshot` per transition. Actor id = checkpoint id.
 */
export class InspectorStream {
  /** Audit entries already streamed, per checkpoint (bounded: the oldest are forgotten). */
  private readonly streamed = new Map<string, number>()
  private readonly definition = JSON.stringify(checkpointMachine.toJSON())

  constructor(private readonly clock: () => number = Date.now) {}

  messagesFor(cp: LoadedCheckpoint, audit: AuditEntry[]): StatelyInspectionEvent[] {
    const seen = this.streamed.get(cp.id)
    const out: StatelyInspectionEvent[] = []
    const snapshot = { status: isTerminal(cp.state) ? ('done' as const) : ('active' as const), value: cp.persisted.value, context: inspectableContext(cp) }
    const base = () => ({ sessionId: cp.id, rootId: cp.id, createdAt: String(this.clock()), _version: INSPECT_PROTOCOL_VERSION })
    if (seen === undefined) {
      out.push({ type: '@xstate.actor', name: 'checkpoint', ...base(), id: cp.id, definition: this.definition, parentId: undefined, snapshot })
    }
    let last: { type: string } | null = null
    // First sight: entry 0 is the creation the actor message stands for; later ones may
    // already have happened (another process committed them before this one loaded).
    for (const entry of audit.slice(seen ?? 1)) {
      if (!(entry.kind in EVENT_OF_KIND)) continue
      last = inspectableEvent(entry)
      out.push({ type: '@xstate.event', ...base(), id: `${cp.id}.${entry.seq}`, sourceId: undefined, event: last })
    }
    if (last) {
      // xstate types a snapshot as a live actor's; the inspector takes any JSON state like this.
      const message = { type: '@xstate.snapshot', ...base(), id: `${cp.id}.v${cp.version}`, event: last, snapshot }
      out.push(message as unknown as StatelyInspectionEvent)
    }
    this.remember(cp.id, audit.length)
    return out
  }

  private remember(id: string, length: number): void {
    this.streamed.delete(id)
    this.streamed.set(id, length)
    if (this.streamed.size > REMEMBERED) this.streamed.delete(this.streamed.keys().next().value as string)
  }
}
