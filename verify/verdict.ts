import { z } from 'zod'

/**
 * What every verifier returns, whatever its kind (model, webhook, local function). It is
 * checked with zod before it can reach the machine: a malformed verdict is a verifier
 * failure to retry, never a decision.
 */
export const verdictSchema = z
  .object({
    passed: z.boolean(),
    reason: z.string().trim().min(1).max(2000),
    /** A corrected or normalised answer that replaces the person's (checked against responseSchema). */
    response: z.unknown().optional(),
  })
  .strict()

export type Verdict = z.output<typeof verdictSchema>

/** A verdict with the model (or verifier) that gave it, for the audit. */
export interface ModelVerdict extends Verdict {
  model?: string
}

/** Everything a verifier may see about one answer. `payload` is absent when the request is `redact`. */
export interface VerifyInput {
  checkpointId: string
  attempt: number
  task: string
  payload?: unknown
  payloadSchema?: Record<string, unknown>
  responseSchema: Record<string, unknown>
  answer: unknown
  instructions: string
  /** True when the payload was withheld because the agent marked it `redact`. */
  redacted: boolean
}

/** Words a person wrote, to be turned into an answer that fits `responseSchema`. */
export interface ExtractInput {
  checkpointId: string
  task: string
  payload?: unknown
  responseSchema: Record<string, unknown>
  text: string
  redacted: boolean
}

/** The model's reading of free text: a proposed answer (not yet schema-checked) or why there is none. */
export interface Extraction {
  answer: unknown
  understood: boolean
  reason: string
  model?: string
}

export { VerifierMisconfigured, VerifierUnavailable } from '../plugins/free-text-reader.js'
