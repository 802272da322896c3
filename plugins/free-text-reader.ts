import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'
import type { FieldProblem } from '../engine/problems.js'

/** A typed answer read from words, to show the person before it counts. Nothing is sent yet. */
export interface ProposedAnswer {
  /** The proposed answer, or null when the words did not give one. */
  answer: unknown
  /** True when `answer` fits the response schema and may be offered for confirmation. */
  valid: boolean
  problems: FieldProblem[]
  /** The model's one-sentence reading, for the person. */
  reason: string
  model: string | null
}

/**
 * Free text → typed answer, as channels use it (thread replies in chat, email
 * replies, the dashboard's "Answer in words"). One instance per process, built by the
 * verification feature; channels depend on this shape only.
 */
export interface FreeTextReader {
  availableFor(cp: LoadedCheckpoint): boolean
  /** Throws when no model is configured or the model is unavailable (retry later). */
  extract(cp: LoadedCheckpoint, text: string): Promise<ProposedAnswer>
}

/** A provider outage, a 429, a timeout, a malformed reply: retry later; never counts as an attempt. */
export class VerifierUnavailable extends Error {
  constructor(
    message: string,
    /** How long the provider asked us to wait (Retry-After), when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message)
    this.name = 'VerifierUnavailable'
  }
}

/** A failure retrying cannot fix (bad key, unknown model, a verifier that is not configured). */
export class VerifierMisconfigured extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'VerifierMisconfigured'
  }
}
