import type { Queue } from 'bullmq'

/**
 * The Telegram module's own BullMQ queue: inbound updates (from the webhook or the poller),
 * the poll job itself, and Bot API calls that answer people (answerCallbackQuery). Update
 * jobs are keyed by `update_id`, so Telegram redelivering an update, or two paths seeing
 * it, adds nothing.
 */
export const INBOUND_QUEUE = 'telegram-inbound'

export interface TelegramUser {
  id: number
  name: string
}

/** Only what Holdpoint acts on is kept from an update; the rest is dropped at the door. */
export interface InboundUpdate {
  update_id: number
  tap?: { id: string; from: TelegramUser; data?: string; chat?: string; messageId?: number }
  reply?: { from: TelegramUser; chat: string; text: string; replyTo: number; messageId?: number }
}

export interface AnswerCall {
  method: 'answerCallbackQuery'
  params: { callback_query_id: string; text: string; show_alert?: boolean }
}

/** Dedupe window: longer than Telegram keeps retrying a webhook delivery. */
const KEEP = { removeOnComplete: { age: 24 * 60 * 60 }, removeOnFail: { age: 7 * 24 * 60 * 60 } }
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null

function user(raw: unknown): TelegramUser | null {
  if (!isObject(raw) || typeof raw.id !== 'number') return null
  const name = [raw.first_name, raw.last_name].filter((p): p is string => typeof p === 'string').join(' ') || (typeof raw.username === 'string' ? raw.username : String(raw.id))
  return { id: raw.id, name }
}

function chatId(message: unknown): string | undefined {
  return isObject(message) && isObject(message.chat) && (typeof message.chat.id === 'number' || typeof message.chat.id === 'string') ? String(message.chat.id) : undefined
}

/** The parts of a raw update Holdpoint handles, or null when it is not an update at all. */
export function slimUpdate(raw: unknown): InboundUpdate | null {
  if (!isObject(raw) || typeof raw.update_id !== 'number' || !Number.isInteger(raw.update_id)) return null
  const out: InboundUpdate = { update_id: raw.update_id }
  const cq = raw.callback_query
  if (isObject(cq) && typeof cq.id === 'string') {
    const from = user(cq.from)
    const messageId = isObject(cq.message) && typeof cq.message.message_id === 'number' ? cq.message.message_id : undefined
    if (from) {
      out.tap = {
        id: cq.id,
        from,
        ...(typeof cq.data === 'string' && { data: cq.data }),
        ...(chatId(cq.message) !== undefined && { chat: chatId(cq.message) }),
        ...(messageId !== undefined && { messageId }),
      }
    }
  }
  const msg = raw.message
  if (isObject(msg) && typeof msg.text === 'string' && isObject(msg.reply_to_message) && typeof msg.reply_to_message.message_id === 'number') {
    const from = user(msg.from)
    const chat = chatId(msg)
    if (from && chat !== undefined) {
      out.reply = { from, chat, text: msg.text, replyTo: msg.reply_to_message.message_id, ...(typeof msg.message_id === 'number' && { messageId: msg.message_id }) }
    }
  }
  return out
}

export async function enqueueUpdate(queue: Queue, update: InboundUpdate): Promise<void> {
  await queue.add('update', update, { jobId: `u.${update.update_id}`, attempts: 5, backoff: { type: 'exponential', delay: 1_000 }, ...KEEP })
}

export async function enqueueAnswerCall(queue: Queue, call: AnswerCall): Promise<void> {
  // A callback query can be answered once; its id keys the job so a retried update does not answer twice.
  await queue.add('call', call, { jobId: `cb.${call.params.callback_query_id}`, attempts: 5, backoff: { type: 'exponential', delay: 500 }, ...KEEP })
}
