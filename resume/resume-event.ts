import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'
import type { TerminalState } from '../machine/types.js'
import type { ResumeEvent, ResumeEventType } from '../sdk/webhook.js'

/** The body every resume target sends (api.md "Resume webhook"). Stable across retries. */
export function resumeEventOf(cp: LoadedCheckpoint): ResumeEvent {
  const ctx = cp.persisted.context
  const state = cp.state as TerminalState
  return {
    type: `checkpoint.${state}` as ResumeEventType,
    timestamp: new Date(ctx.updatedAt).toISOString(),
    data: {
      checkpointId: cp.id,
      state,
      response: ctx.response ?? null,
      respondedBy: ctx.respondedBy ? { ...ctx.respondedBy } : null,
      idempotencyKey: cp.request.idempotencyKey ?? null,
      metadata: cp.request.metadata ?? {},
      // Quorum: the combined outcome and every individual answer.
      ...(ctx.quorum !== null && { outcome: ctx.outcome, answers: ctx.answers.map((a) => ({ respondedBy: { ...a.by }, response: a.response, at: new Date(a.at).toISOString() })) }),
      // Verification: why the last verdict went the way it did.
      ...(ctx.lastVerdict !== null && { verification: { ...ctx.lastVerdict, attempts: ctx.attempts + (ctx.lastVerdict.passed ? 1 : 0) } }),
    },
  }
}

/** One resume per checkpoint: its id is the Standard Webhooks `webhook-id` on every retry. */
export const resumeMessageId = (checkpointId: string) => `msg_${checkpointId}`
