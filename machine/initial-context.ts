import { initialRouting } from './routing.js'
import type { CheckpointContext, CheckpointInput } from './types.js'

/**
 * A new checkpoint's context, from its input alone. The machine starts from it, and the
 * store (engine/snapshot-codec.ts) computes it again on every load to keep only what has
 * changed since: a pure function, cheap enough to run without the machine.
 */
export function initialContext(input: CheckpointInput): CheckpointContext {
  return {
    id: input.id,
    notify: input.notify,
    assignTo: input.assignTo,
    createdAt: input.now,
    updatedAt: input.now,
    timeoutAt: input.timeoutAt,
    onTimeout: input.onTimeout,
    deliveredTo: [],
    claimedBy: null,
    response: null,
    respondedBy: null,
    cancelReason: null,
    ...initialRouting(input),
    quorum: input.quorum ?? null,
    answers: [],
    outcome: null,
    verify: input.verify ?? null,
    attempts: 0,
    pendingAnswer: null,
    lastVerdict: null,
  }
}
