import { toView } from '../../engine/checkpoint-view.js'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { EventRefused } from '../../engine/errors.js'
import { isTerminal } from '../../machine/types.js'
import { PermanentDeliveryError } from '../../plugins/channel.js'
import { channelOfRecipient } from '../../plugins/queue-names.js'
import { deliverInBatch } from '../workers/batch-delivery.js'
import type { AttemptDeps } from './attempt-deps.js'
import { FinalFailure } from './final-failure.js'

export interface DeliveryOrder {
  checkpointId: string
  recipient: string
  /** `deliver` sends the request, `update` refreshes the message, `remind` nudges. */
  kind: string
  /** Stable across every attempt of this delivery (the job id): the channel's idempotency key. */
  deliveryId: string
}

/**
 * One attempt at a delivery: send, then record `delivered`. A provider's Retry-After and any
 * other error propagate for the caller to retry; a permanent refusal is audited and becomes a
 * FinalFailure.
 */
export async function attemptDelivery(deps: AttemptDeps, order: DeliveryOrder, loaded?: LoadedCheckpoint): Promise<string> {
  const { engine } = deps
  const { checkpointId, recipient, kind, deliveryId } = order
  const channelName = channelOfRecipient(recipient)
  const cp = loaded ?? (await engine.get(checkpointId))
  if (!cp) return 'checkpoint gone'
  if (kind !== 'update' && isTerminal(cp.state)) return `skipped: already ${cp.state}`
  const channel = deps.channels.get(channelName)
  if (!channel) throw new FinalFailure(`channel ${channelName} is not enabled in this process`)
  // For a channel that drops its own mark once the delivery is recorded, the record is the mark.
  if (kind === 'deliver' && channel.delivered && cp.persisted.context.deliveredTo.includes(recipient)) return 'skipped: already delivered'
  const ctx = { checkpoint: toView(cp, deps.publicUrl), recipient, deliveryId }
  try {
    if (kind === 'update') {
      await channel.update?.(ctx)
      return 'updated'
    }
    if (kind === 'remind') {
      await (channel.remind ?? channel.update)?.call(channel, ctx)
      return 'reminded'
    }
    if (kind === 'deliver') {
      const batched = await deliverInBatch({ engine, prefix: deps.prefix, publicUrl: deps.publicUrl }, channel, cp, recipient, deliveryId)
      // 'sent' and 'included' recorded the delivery of every member already.
      if (batched !== 'alone') return `delivered in batch (${batched})`
    }
    await channel.deliver(ctx)
  } catch (error) {
    if (error instanceof PermanentDeliveryError) {
      await engine.note(checkpointId, { kind: 'delivery.failed', actor: { channel: 'system', actor: channelName }, data: { recipient, reason: error.message, final: true } }, cp)
      throw new FinalFailure(error.message)
    }
    throw error
  }
  try {
    // The load this attempt began with is the commit's first try (a lost race reloads).
    await engine.send(checkpointId, (now) => ({ type: 'checkpoint.delivered', now, recipient }), {}, cp)
  } catch (error) {
    if (!(error instanceof EventRefused)) throw error
  }
  // A mark left behind lapses on its own; failing here must not send the message again.
  await channel.delivered?.(ctx).catch(() => undefined)
  return 'delivered'
}
