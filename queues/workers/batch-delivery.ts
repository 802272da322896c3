import { createHash } from 'node:crypto'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { toView } from '../../engine/checkpoint-view.js'
import type { Engine } from '../../engine/engine.js'
import { EventRefused } from '../../engine/errors.js'
import { isTerminal } from '../../machine/types.js'
import { RetryAfterError, type Channel } from '../../plugins/channel.js'

/**
 * One message per batch per recipient. The first delivery job of a batch for a recipient
 * takes a Redis mark (SET NX), collects the batch's open members meant for that recipient,
 * sends them as one message, writes their ids into the mark and records each as delivered.
 * Its siblings' jobs then find themselves in the mark and only record the delivery; a member
 * the mark does not list (raised after the message went) is delivered on its own.
 */
export type BatchOutcome = 'sent' | 'included' | 'alone'

interface Mark {
  owner: string
  ids?: string[]
}

/** Long enough for every sibling job to find the mark; a later wave of the batch gets a new message. */
const MARK_TTL_SECONDS = 60 * 60

/** How long a sibling waits while the batch message is being sent (without spending an attempt). */
const COMPOSING_WAIT_MS = 1_000

export interface BatchDeliveryDeps {
  engine: Engine
  prefix: string
  publicUrl: string
}

function markKey(prefix: string, cp: LoadedCheckpoint, batchId: string, recipient: string): string {
  const who = createHash('sha256').update(`${cp.request.createdBy}\n${recipient}`).digest('hex').slice(0, 16)
  return `${prefix}:batchsend:{${batchId}}:${who}`
}

async function markDelivered(engine: Engine, id: string, recipient: string): Promise<void> {
  try {
    await engine.send(id, (now) => ({ type: 'checkpoint.delivered', now, recipient }))
  } catch (error) {
    if (!(error instanceof EventRefused)) throw error
  }
}

export async function deliverInBatch(deps: BatchDeliveryDeps, channel: Channel, cp: LoadedCheckpoint, recipient: string, jobId: string): Promise<BatchOutcome> {
  const batch = cp.request.batch
  if (!batch || !channel.deliverBatch) return 'alone'
  const { engine } = deps
  const redis = engine.store.redis
  const key = markKey(deps.prefix, cp, batch.id, recipient)
  const won = (await redis.set(key, JSON.stringify({ owner: jobId } satisfies Mark), 'EX', MARK_TTL_SECONDS, 'NX')) === 'OK'
  if (!won) {
    const raw = await redis.get(key)
    const mark = raw ? (JSON.parse(raw) as Mark) : null
    // The mark expired meanwhile: this member goes on its own rather than wait for a new wave.
    if (!mark) return 'alone'
    if (mark.owner !== jobId) {
      // Not sent yet: wait, so that no member is recorded delivered before its message went.
      if (!mark.ids) throw new RetryAfterError(COMPOSING_WAIT_MS)
      if (!mark.ids.includes(cp.id)) return 'alone'
      await markDelivered(engine, cp.id, recipient)
      return 'included'
    }
    // A retry of the job that took the mark: compose and send again (the send is idempotent).
  }
  const ids = await engine.store.batchMembers(cp.request.createdBy, batch.id)
  const loaded = await Promise.all(ids.map((id) => engine.get(id)))
  const members = loaded.filter(
    (m): m is LoadedCheckpoint =>
      m !== null &&
      (m.id === cp.id || (!isTerminal(m.state) && m.persisted.context.notify.includes(recipient) && !m.persisted.context.deliveredTo.includes(recipient))),
  )
  const written = () => redis.set(key, JSON.stringify({ owner: jobId, ids: members.map((m) => m.id) } satisfies Mark), 'EX', MARK_TTL_SECONDS)
  if (members.length < 2) {
    await written()
    return 'alone'
  }
  await channel.deliverBatch({
    batch,
    recipient,
    sendId: jobId,
    items: members.map((m) => ({ checkpoint: toView(m, deps.publicUrl), recipient, deliveryId: `${jobId}.${m.id}` })),
  })
  // Only now may siblings count themselves delivered.
  await written()
  for (const m of members) await markDelivered(engine, m.id, recipient)
  return 'sent'
}
