import type { Refusal } from '../machine/index.js'
import type { LoadedCheckpoint } from './checkpoint-store.js'

/** The engine's outcomes that callers map to HTTP statuses or job failures. */
export class CheckpointNotFound extends Error {
  constructor(readonly checkpointId: string) {
    super(`No checkpoint ${checkpointId}.`)
    this.name = 'CheckpointNotFound'
  }
}

/**
 * Not in Redis any more because retention moved it to the archive: the API answers 410
 * naming the file, while the tombstone lasts.
 */
export class CheckpointArchived extends CheckpointNotFound {
  constructor(
    checkpointId: string,
    readonly archiveFile: string,
  ) {
    super(checkpointId)
    this.message = `Checkpoint ${checkpointId} finished and was moved to the archive after the retention period (file ${archiveFile}).`
    this.name = 'CheckpointArchived'
  }
}

export class EventRefused extends Error {
  constructor(
    readonly checkpointId: string,
    readonly refusal: Refusal,
    /** The checkpoint as it was when the machine refused, where the engine had it loaded. */
    readonly checkpoint?: LoadedCheckpoint,
  ) {
    super(describeRefusal(refusal))
    this.name = 'EventRefused'
  }
}

export class IdempotencyConflict extends Error {
  constructor(readonly key: string) {
    super(`Idempotency key ${JSON.stringify(key)} was already used with a different request body.`)
    this.name = 'IdempotencyConflict'
  }
}

/** Too many concurrent writers kept moving the checkpoint on; the caller may retry. */
export class CommitContention extends Error {
  constructor(readonly checkpointId: string) {
    super(`Checkpoint ${checkpointId} is changing too fast to apply this event; retry.`)
    this.name = 'CommitContention'
  }
}

export function describeRefusal(refusal: Refusal): string {
  switch (refusal.code) {
    case 'terminal':
      return `The checkpoint is already ${refusal.state}.`
    case 'not_assigned':
      return 'You are not among the people this checkpoint is assigned to.'
    case 'claimed_by_other':
      return `The checkpoint is claimed by ${refusal.claimedBy}.`
    case 'verifying':
      return 'An answer is being verified; wait for its verdict.'
    case 'duplicate_answer':
      return 'You have already answered this checkpoint; each person counts once.'
    case 'stale':
      return 'The event no longer applies.'
    case 'not_applicable':
      return `That action does not apply to a checkpoint that is ${refusal.state}.`
  }
}
