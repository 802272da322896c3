import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'
import type { ExtractInput, VerifyInput } from './verdict.js'

/**
 * What leaves Holdpoint for a verifier. A request marked `redact` keeps its payload (and the
 * payload's schema, whose descriptions may name it) at home.
 */
export function verifyInputOf(cp: LoadedCheckpoint, attempt: number): VerifyInput | null {
  const req = cp.request
  const pending = cp.persisted.context.pendingAnswer
  if (!req.verify || pending === null) return null
  const redacted = req.redact === true
  return {
    checkpointId: cp.id,
    attempt,
    task: req.task,
    ...(!redacted && req.payload !== undefined && { payload: req.payload }),
    ...(!redacted && req.payloadSchema !== undefined && { payloadSchema: req.payloadSchema }),
    responseSchema: req.responseSchema,
    answer: pending.response,
    instructions: req.verify.instructions,
    redacted,
  }
}

export function extractInputOf(cp: LoadedCheckpoint, text: string): ExtractInput {
  const req = cp.request
  const redacted = req.redact === true
  return {
    checkpointId: cp.id,
    task: req.task,
    ...(!redacted && req.payload !== undefined && { payload: req.payload }),
    responseSchema: req.responseSchema,
    text,
    redacted,
  }
}
