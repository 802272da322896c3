import type { Api } from 'node-telegram-bot-api'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import type { FreeTextReader } from '../../plugins/free-text-reader.js'
import type { ProposalStore } from '../common/proposals.js'
import { VerifierMisconfigured, VerifierUnavailable } from '../../plugins/free-text-reader.js'
import { describeValue } from '../common/schema-shape.js'
import { escapeHtml } from '../common/html.js'
import { linkTtlSeconds } from '../common/link-ttl.js'
import { callBot, classifyBotError, isNotModified } from './bot-api.js'
import type { MessageRefs } from './message-refs.js'

/**
 * Free text → a typed answer to confirm, on Telegram: a reply to a request message is read by
 * the model (in the inbound job, never in the webhook request), the schema checks the reading,
 * and the chat gets "I read your reply as: …" with a Confirm button. The proposal stays
 * server-side; the button carries only its id. Only the reply's author can confirm it.
 */
export interface TelegramFreeTextDeps {
  api: Api
  extractor: FreeTextReader
  proposals: ProposalStore
  refs: MessageRefs
}

/** A proposal belongs to the Telegram user who wrote the words, in the chat they wrote them in. */
export const telegramAuthor = (userId: number | string, chat: string) => `telegram:${userId}@${chat}`

/** `callback_data` of a Confirm button: `c:<proposal id>` (never matches a choice's `<ref>:<n>`). */
export function confirmData(proposalId: string): string {
  return `c:${proposalId}`
}

export function parseConfirmData(data: string | undefined): string | null {
  return /^c:([A-Za-z0-9_-]{8,32})$/.exec(data ?? '')?.[1] ?? null
}

/** `approved: yes · note: duplicate charge` */
export function answerSummary(answer: unknown): string {
  const text =
    answer !== null && typeof answer === 'object' && !Array.isArray(answer)
      ? Object.entries(answer as Record<string, unknown>)
          .map(([k, v]) => `${k}: ${describeValue(v)}`)
          .join(' · ')
      : describeValue(answer)
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text
}

export interface ReplyToRead {
  from: { id: number }
  chat: string
  text: string
  /** The person's own message, which the proposal replies to. */
  messageId?: number
}

export class TelegramFreeText {
  constructor(private readonly deps: TelegramFreeTextDeps) {}

  available(cp: LoadedCheckpoint): boolean {
    return this.deps.extractor.availableFor(cp)
  }

  /**
   * Reads the words and posts the proposal (or why there is none). A provider outage throws,
   * so the update job retries with backoff; with no model at all it says so in the chat.
   */
  async propose(cp: LoadedCheckpoint, reply: ReplyToRead, recipient: string): Promise<string> {
    let proposal
    try {
      proposal = await this.deps.extractor.extract(cp, reply.text)
    } catch (error) {
      if (error instanceof VerifierUnavailable) throw error
      if (!(error instanceof VerifierMisconfigured)) throw error
      return 'no model'
    }
    const replyTo = reply.messageId !== undefined ? { reply_parameters: { message_id: reply.messageId, allow_sending_without_reply: true } } : {}
    if (!proposal.valid) {
      const why = proposal.problems.length > 0 ? `${proposal.reason} (it does not fit what the request asks for)` : proposal.reason
      await callBot('sendMessage', () =>
        this.deps.api.sendMessage({
          chat_id: reply.chat,
          parse_mode: 'HTML',
          text: `I could not read a complete answer from that: ${escapeHtml(why.slice(0, 500))}\nPlease reply to the request again, or use its buttons or form.`,
          ...replyTo,
        }),
      )
      return 'unreadable'
    }
    const proposalId = await this.deps.proposals.save({ checkpointId: cp.id, author: telegramAuthor(reply.from.id, reply.chat), answer: proposal.answer })
    const message = await callBot('sendMessage', () =>
      this.deps.api.sendMessage({
        chat_id: reply.chat,
        parse_mode: 'HTML',
        text: `I read your reply as: <b>${escapeHtml(answerSummary(proposal.answer))}</b>\n<i>${escapeHtml(proposal.reason.slice(0, 500))}</i>\nNothing is submitted until you confirm.`,
        reply_markup: { inline_keyboard: [[{ text: 'Confirm', callback_data: confirmData(proposalId) }]] },
        ...replyTo,
      }),
    )
    // Kept with the request's messages, so the checkpoint's end removes this Confirm button too.
    const sent = await this.deps.refs.sent(cp.id, recipient)
    if (sent) {
      const ttl = linkTtlSeconds(new Date(cp.persisted.context.timeoutAt).toISOString())
      await this.deps.refs.recordFollowUp(cp.id, recipient, `proposal-${proposalId}`, { chat: reply.chat, messageId: message.message_id, ref: sent.ref }, ttl)
    }
    return 'proposed'
  }

  /** The answer a Confirm tap stands for, or why it cannot count. */
  async confirmed(proposalId: string, userId: number, chat: string | undefined): Promise<{ checkpointId: string; response: unknown } | { refused: string }> {
    const proposal = await this.deps.proposals.get(proposalId)
    if (!proposal) return { refused: 'That proposal has expired; please answer again.' }
    if (chat === undefined || proposal.author !== telegramAuthor(userId, chat)) return { refused: 'Only the person who wrote that reply can confirm it.' }
    return { checkpointId: proposal.checkpointId, response: proposal.answer }
  }

  /** After a recorded Confirm: the proposal shows what was sent, without its button. */
  async markConfirmed(chat: string, messageId: number, answer: unknown): Promise<void> {
    try {
      await this.deps.api.editMessageText({ chat_id: chat, message_id: messageId, parse_mode: 'HTML', text: `Confirmed: <b>${escapeHtml(answerSummary(answer))}</b>` })
    } catch (error) {
      if (!isNotModified(error)) throw classifyBotError('editMessageText', error)
    }
  }
}
