import type { CreateSpec } from './create-spec.js'

/**
 * What the agent asked for, as kept for the checkpoint's whole life. Immutable after
 * creation; the moving parts live in the machine snapshot.
 */
export interface StoredRequest extends Omit<CreateSpec, 'idempotencyKey'> {
  /** The agent token name that created it (the audit's "who"). */
  createdBy: string
  /** Hash of the rendered request (task, payload, schemas) that people are shown. */
  requestHash: string
  idempotencyKey?: string
  /** The effective `assignTo`: the agent's, or everyone notified. */
  assignTo: string[]
}
