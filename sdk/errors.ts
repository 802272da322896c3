// Every failure the SDK reports is a HoldpointError with a stable `code`, so an agent can
// branch on `err.code` (or `instanceof`) without parsing messages, and structured fields
// (checkpoint id, HTTP status, the server's problem+json) so logs carry what an operator
// needs to find the checkpoint.
import type { z } from 'zod'
import { toJsonPointer } from './json-pointer.js'
import type { Checkpoint } from './types.js'

export type HoldpointErrorCode =
  | 'configuration_error'
  | 'invalid_duration'
  | 'unauthorized'
  | 'validation_failed'
  | 'not_found'
  | 'idempotency_conflict'
  | 'checkpoint_conflict'
  | 'request_failed'
  | 'protocol_error'
  | 'holdpoint_unavailable'
  | 'checkpoint_timeout'
  | 'checkpoint_cancelled'
  | 'checkpoint_rejected'
  | 'response_invalid'
  | 'webhook_verification_failed'

/** One failing path of a problem+json `errors` list (RFC 9457 extension member). */
export interface ProblemFieldError {
  /** JSON pointer of the failing value, e.g. `/payload/amountUsd`. */
  path?: string
  message?: string
  [key: string]: unknown
}

/** An RFC 9457 problem details body, as the server sends with `application/problem+json`. */
export interface ProblemDetails {
  type?: string
  title?: string
  status?: number
  detail?: string
  instance?: string
  errors?: ProblemFieldError[]
  [key: string]: unknown
}

export interface HoldpointErrorFields {
  checkpointId?: string | undefined
  status?: number | undefined
  problem?: ProblemDetails | undefined
  cause?: unknown
}

export class HoldpointError extends Error {
  override name = 'HoldpointError'
  readonly code: HoldpointErrorCode
  readonly checkpointId: string | undefined
  /** HTTP status of the answer that caused this error, when there was one. */
  readonly status: number | undefined
  readonly problem: ProblemDetails | undefined

  constructor(code: HoldpointErrorCode, message: string, fields: HoldpointErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause })
    this.code = code
    this.checkpointId = fields.checkpointId
    this.status = fields.status
    this.problem = fields.problem
  }
}

/** No usable URL or token could be found, or a configuration source is malformed. */
export class HoldpointConfigError extends HoldpointError {
  override name = 'HoldpointConfigError'
  constructor(message: string, fields: HoldpointErrorFields = {}) {
    super('configuration_error', message, fields)
  }
}

export class InvalidDurationError extends HoldpointError {
  override name = 'InvalidDurationError'
  readonly input: unknown
  constructor(input: unknown, reason: string) {
    super('invalid_duration', `Invalid duration ${JSON.stringify(input) ?? String(input)}: ${reason}`)
    this.input = input
  }
}

/** The server refused the bearer token (401). Retrying will not help. */
export class HoldpointAuthError extends HoldpointError {
  override name = 'HoldpointAuthError'
  constructor(message: string, fields: HoldpointErrorFields = {}) {
    super('unauthorized', message, fields)
  }
}

/** The request failed validation (server 422, or the SDK's own check before sending). */
export class CheckpointValidationError extends HoldpointError {
  override name = 'CheckpointValidationError'
  readonly errors: ProblemFieldError[]
  constructor(message: string, errors: ProblemFieldError[], fields: HoldpointErrorFields = {}) {
    super('validation_failed', message, fields)
    this.errors = errors
  }
}

export class CheckpointNotFoundError extends HoldpointError {
  override name = 'CheckpointNotFoundError'
  constructor(checkpointId: string, fields: HoldpointErrorFields = {}) {
    super('not_found', `Checkpoint ${checkpointId} does not exist`, { ...fields, checkpointId })
  }
}

/** The idempotency key was already used for a create with a different body (409). */
export class IdempotencyConflictError extends HoldpointError {
  override name = 'IdempotencyConflictError'
  readonly idempotencyKey: string
  constructor(idempotencyKey: string, fields: HoldpointErrorFields = {}) {
    super(
      'idempotency_conflict',
      `Idempotency key ${idempotencyKey} was already used to create a checkpoint with a different body`,
      fields,
    )
    this.idempotencyKey = idempotencyKey
  }
}

/** The checkpoint is in a state that does not allow the operation (409), e.g. cancelling a finished one. */
export class CheckpointConflictError extends HoldpointError {
  override name = 'CheckpointConflictError'
  constructor(message: string, fields: HoldpointErrorFields = {}) {
    super('checkpoint_conflict', message, fields)
  }
}

/** An answer the SDK has no specific meaning for (e.g. 400, 403, 413). */
export class HoldpointRequestError extends HoldpointError {
  override name = 'HoldpointRequestError'
  constructor(message: string, fields: HoldpointErrorFields = {}) {
    super('request_failed', message, fields)
  }
}

/** The server answered 2xx with a body that is not what the contract promises. */
export class HoldpointProtocolError extends HoldpointError {
  override name = 'HoldpointProtocolError'
  constructor(message: string, fields: HoldpointErrorFields = {}) {
    super('protocol_error', message, fields)
  }
}

/** The server stayed unreachable (network errors, 5xx) for longer than `unavailableAfterMs`. */
export class HoldpointUnavailableError extends HoldpointError {
  override name = 'HoldpointUnavailableError'
  readonly unavailableForMs: number
  constructor(unavailableForMs: number, fields: HoldpointErrorFields = {}) {
    const where = fields.checkpointId === undefined ? '' : ` while handling checkpoint ${fields.checkpointId}`
    super(
      'holdpoint_unavailable',
      `Holdpoint was unreachable for ${Math.round(unavailableForMs / 1000)}s${where}`,
      fields,
    )
    this.unavailableForMs = unavailableForMs
  }
}

/** Base of the errors that report how a checkpoint ended when it ended without a usable answer. */
export class CheckpointEndedError extends HoldpointError {
  override name = 'CheckpointEndedError'
  readonly checkpoint: Checkpoint
  constructor(code: HoldpointErrorCode, message: string, checkpoint: Checkpoint) {
    super(code, message, { checkpointId: checkpoint.id })
    this.checkpoint = checkpoint
  }
}

export class CheckpointTimeoutError extends CheckpointEndedError {
  override name = 'CheckpointTimeoutError'
  constructor(checkpoint: Checkpoint) {
    super('checkpoint_timeout', `Checkpoint ${checkpoint.id} expired without an answer`, checkpoint)
  }
}

export class CheckpointCancelledError extends CheckpointEndedError {
  override name = 'CheckpointCancelledError'
  constructor(checkpoint: Checkpoint) {
    super('checkpoint_cancelled', `Checkpoint ${checkpoint.id} was cancelled`, checkpoint)
  }
}

/** Verification rejected every answer until its attempts ran out. */
export class CheckpointRejectedError extends CheckpointEndedError {
  override name = 'CheckpointRejectedError'
  constructor(checkpoint: Checkpoint) {
    super('checkpoint_rejected', `Checkpoint ${checkpoint.id} was rejected by verification`, checkpoint)
  }
}

/**
 * The server accepted an answer that the agent's own zod schema refuses (a refinement or
 * transform JSON Schema cannot express, or a schema changed between create and answer).
 */
export class CheckpointResponseInvalidError extends CheckpointEndedError {
  override name = 'CheckpointResponseInvalidError'
  readonly issues: z.core.$ZodIssue[]
  readonly response: unknown
  constructor(checkpoint: Checkpoint, issues: z.core.$ZodIssue[]) {
    const first = issues[0]
    const detail = first === undefined ? '' : `: ${toJsonPointer(first.path) || '(root)'} ${first.message}`
    super('response_invalid', `Checkpoint ${checkpoint.id} answer does not match responseSchema${detail}`, checkpoint)
    this.issues = issues
    this.response = checkpoint.response
  }
}

export type WebhookVerificationFailure =
  | 'missing_header'
  | 'invalid_timestamp'
  | 'timestamp_out_of_tolerance'
  | 'no_matching_signature'
  | 'invalid_secret'
  | 'invalid_payload'

export class WebhookVerificationError extends HoldpointError {
  override name = 'WebhookVerificationError'
  readonly reason: WebhookVerificationFailure
  constructor(reason: WebhookVerificationFailure, message: string) {
    super('webhook_verification_failed', message)
    this.reason = reason
  }
}
