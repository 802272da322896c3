// The public surface of `holdpoint/sdk`. Everything an agent may rely on is exported here
// and nowhere else; modules not re-exported are free to change.
export { awaitHuman, type AwaitHumanOptions } from './await-human.js'
export { waitForCheckpoint, DEFAULT_WAIT_SECONDS, type WaitOptions, type WaitResult } from './wait.js'
export {
  cancelCheckpoint,
  createCheckpoint,
  getCheckpoint,
  type CreateCheckpointOptions,
} from './checkpoints.js'
export { resolveConfig, readDevFile, DEFAULT_URL, type DevFile, type ResolvedConfig } from './config.js'
export { parseDuration } from './duration.js'
export { DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry.js'
export { toJsonSchema } from './schema.js'
export {
  signWebhook,
  verifyWebhook,
  webhookHeaders,
  type ResumeEvent,
  type ResumeEventType,
  type SignWebhookOptions,
  type VerifyWebhookOptions,
  type WebhookHeaders,
} from './webhook.js'
export {
  isTerminalState,
  type Checkpoint,
  type CheckpointRequest,
  type CheckpointState,
  type ConnectionOptions,
  type CreateCheckpointBody,
  type EscalationStep,
  type FetchLike,
  type JsonSchema,
  type OnTimeout,
  type Quorum,
  type Reminders,
  type Remember,
  type Batch,
  type RespondedBy,
  type ResumeTarget,
  type Target,
  type TerminalCheckpointState,
  type VerifyOptions,
} from './types.js'
export {
  CheckpointCancelledError,
  CheckpointConflictError,
  CheckpointEndedError,
  CheckpointNotFoundError,
  CheckpointRejectedError,
  CheckpointResponseInvalidError,
  CheckpointTimeoutError,
  CheckpointValidationError,
  HoldpointAuthError,
  HoldpointConfigError,
  HoldpointError,
  HoldpointProtocolError,
  HoldpointRequestError,
  HoldpointUnavailableError,
  IdempotencyConflictError,
  InvalidDurationError,
  WebhookVerificationError,
  type HoldpointErrorCode,
  type HoldpointErrorFields,
  type ProblemDetails,
  type ProblemFieldError,
  type WebhookVerificationFailure,
} from './errors.js'
