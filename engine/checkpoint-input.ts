import { initialContext } from '../machine/initial-context.js'
import type { CheckpointContext, CheckpointInput } from '../machine/types.js'
import { createdAtOf } from './ids.js'
import type { StoredRequest } from './stored-request.js'

type RequestRouting = Pick<StoredRequest, 'notify' | 'assignTo' | 'timeoutSeconds' | 'onTimeout' | 'escalation' | 'reminders' | 'quorum' | 'verify' | 'responseSchema'>

/** The boolean property that says approve/reject, for quorum: `approved` when the schema has it. */
function decisionFieldOf(schema: Record<string, unknown>): string | null {
  const props = schema.properties as Record<string, { type?: unknown }> | undefined
  return props?.approved?.type === 'boolean' ? 'approved' : null
}

/** What the machine starts from, read off the agent's request: the one mapping from one to the other. */
export function checkpointInput(id: string, now: number, request: RequestRouting): CheckpointInput {
  return {
    id,
    now,
    notify: request.notify,
    assignTo: request.assignTo,
    timeoutAt: now + request.timeoutSeconds * 1000,
    onTimeout: request.onTimeout ? { response: request.onTimeout.response } : null,
    escalation: request.escalation ?? [],
    reminders: request.reminders ?? null,
    quorum: request.quorum ? { approvals: request.quorum.approvals, rejectOn: request.quorum.rejectOn ?? null, decisionField: decisionFieldOf(request.responseSchema) } : null,
    verify: request.verify ? { maxAttempts: request.verify.maxAttempts } : null,
  }
}

/**
 * The context a record's snapshot is stored as a difference from (engine/snapshot-codec.ts):
 * what the request and the id (which carries the creation time) already say.
 */
export function snapshotBaseline(id: string, request: RequestRouting): Partial<CheckpointContext> {
  const createdAt = createdAtOf(id)
  return createdAt === null ? { id } : initialContext(checkpointInput(id, createdAt, request))
}
