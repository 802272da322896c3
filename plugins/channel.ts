import type { CheckpointView } from '../engine/checkpoint-view.js'

/**
 * What every channel implements. Channels never touch checkpoint state: they render and
 * send, and report back through the engine (delivery confirmations, inbound answers).
 */
export interface DeliveryContext {
  checkpoint: CheckpointView
  /** The notify string this delivery is for (`email:ana@example.com`). */
  recipient: string
  /** Stable across retries of this delivery: use it as the provider's idempotency key. */
  deliveryId: string
}

/** One combined message for a batch: the members, each as its own delivery context. */
export interface BatchDelivery {
  batch: { id: string; title: string }
  recipient: string
  /** Stable across retries of this combined send: the channel's idempotency key. */
  sendId: string
  items: DeliveryContext[]
}

export interface Channel {
  readonly name: string
  /** Sends the request to one recipient. Must be safe to call again for the same deliveryId. */
  deliver(ctx: DeliveryContext): Promise<void>
  /** Brings an earlier message up to date (claimed, answered elsewhere, finished). */
  update?(ctx: DeliveryContext): Promise<void>
  /**
   * Sends several open checkpoints of one batch to one recipient as one message, each with
   * its own answers (docs/dashboard.md, Batches). Safe to call again with the same `sendId`.
   * Channels without it deliver batch members one by one.
   */
  deliverBatch?(batch: BatchDelivery): Promise<void>
  /** Nudges a recipient who has the request (threaded where the channel allows); defaults to `update`. */
  remind?(ctx: DeliveryContext): Promise<void>
  /**
   * The delivery is recorded (`delivered` is in the audit, and a later `deliver` for this
   * recipient stops there): state kept only to make `deliver` safe to repeat can go. Best effort.
   */
  delivered?(ctx: DeliveryContext): Promise<void>
}

/** A failure that retrying cannot fix (a rejected address, a revoked token). */
export class PermanentDeliveryError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'PermanentDeliveryError'
  }
}

/** The provider asked us to wait (429 Retry-After); the attempt does not count. */
export class RetryAfterError extends Error {
  constructor(readonly retryAfterMs: number) {
    super(`provider asked to retry after ${retryAfterMs} ms`)
    this.name = 'RetryAfterError'
  }
}
