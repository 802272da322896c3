import type { Api } from 'node-telegram-bot-api'
import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { mintDashboardLink } from '../../engine/dashboard-grant.js'
import type { Keyring } from '../../engine/keyring.js'
import { isTerminal } from '../../machine/types.js'
import type { Channel, DeliveryContext } from '../../plugins/channel.js'
import { freeTextAnswer, oneClickChoices } from '../common/answer-choices.js'
import { escapeHtml } from '../common/html.js'
import { linkTtlSeconds } from '../common/link-ttl.js'
import { callBot, classifyBotError, isNotModified } from './bot-api.js'
import { callbackData, type MessageRefs } from './message-refs.js'
import { outcomeText, reminderText, requestText, sentBackText } from './telegram-message.js'

type SendParams = Parameters<Api['sendMessage']>[0]

/**
 * Telegram delivery, run by the deliver-telegram queue: the request with an inline keyboard
 * (one-click schemas), a ForceReply prompt (one free-text field) or a signed dashboard link
 * (anything richer); and, when the checkpoint ends, an edit that shows the outcome and
 * drops the keyboard.
 */
export interface TelegramChannelDeps {
  api: Api
  refs: MessageRefs
  keyring: Keyring
  publicUrl: string
}

export function chatOf(recipient: string): string {
  return recipient.slice(recipient.indexOf(':') + 1)
}

function compose(deps: TelegramChannelDeps, cp: CheckpointView, chat: string, ref: string, ttlSeconds: number): SendParams {
  const base = { chat_id: chat, parse_mode: 'HTML', link_preview_options: { is_disabled: true } }
  const choices = oneClickChoices(cp.responseSchema)
  if (choices) {
    const inline_keyboard = [choices.map((c, i) => ({ text: c.label, callback_data: callbackData(ref, i) }))]
    return { ...base, text: requestText(cp), reply_markup: { inline_keyboard } }
  }
  if (freeTextAnswer(cp.responseSchema)) {
    return { ...base, text: requestText(cp, 'Reply to this message with your answer.'), reply_markup: { force_reply: true, input_field_placeholder: 'Your answer' } }
  }
  const form = mintDashboardLink({ keyring: deps.keyring, publicUrl: deps.publicUrl, checkpointId: cp.id, channel: 'telegram', handle: chat, ttlSeconds })
  // Telegram refuses URL buttons that point at plain-http or local hosts; a text link always works.
  if (form.startsWith('https://')) {
    return { ...base, text: requestText(cp), reply_markup: { inline_keyboard: [[{ text: 'Open the form', url: form }]] } }
  }
  return { ...base, text: requestText(cp, `<a href="${escapeHtml(form)}">Open the form</a> to answer.`) }
}

export function createTelegramChannel(deps: TelegramChannelDeps): Channel {
  return {
    name: 'telegram',
    async deliver(ctx: DeliveryContext) {
      const cp = ctx.checkpoint
      // Sent already (the job is retried after the send succeeded): never post twice.
      if (await deps.refs.sent(cp.id, ctx.recipient)) return
      const chat = chatOf(ctx.recipient)
      const ttlSeconds = linkTtlSeconds(cp.expiresAt)
      const ref = await deps.refs.create({ cp: cp.id, chat }, ttlSeconds)
      const message = await callBot('sendMessage', () => deps.api.sendMessage(compose(deps, cp, chat, ref, ttlSeconds)))
      await deps.refs.recordSent(cp.id, ctx.recipient, { chat, messageId: message.message_id, ref }, ttlSeconds)
    },
    // A reminder is a reply to the request with the same way to answer, once per reminder
    // (the job id names the reminder, so a retried job does not remind twice).
    async remind(ctx: DeliveryContext) {
      await followUp(deps, ctx, `remind-${ctx.deliveryId}`, (request) => reminderText(request))
    },
    async update(ctx: DeliveryContext) {
      const cp = ctx.checkpoint
      if (!isTerminal(cp.state)) {
        // Claims and answers in flight change nothing in the chat; an answer the verifier
        // sent back gets one message per failed attempt, with the reason and the way to answer.
        const verdict = cp.verification
        if (verdict && !verdict.passed && verdict.attempts > 0) await sendBack(deps, ctx, verdict)
        return
      }
      const sent = await deps.refs.sent(cp.id, ctx.recipient)
      if (!sent) return
      const followUps = await deps.refs.followUps(cp.id, ctx.recipient)
      for (const message of [sent, ...followUps]) {
        try {
          // No reply_markup: Telegram removes the inline keyboard with the edit.
          await deps.api.editMessageText({ chat_id: message.chat, message_id: message.messageId, text: outcomeText(cp), parse_mode: 'HTML' })
        } catch (error) {
          if (!isNotModified(error)) throw classifyBotError('editMessageText', error)
        }
      }
    },
  }
}

/**
 * The verifier's reason, as a reply to the request message, with the same way to answer
 * (buttons on the request's ref, a ForceReply prompt, or a fresh form link). Once per failed
 * attempt and recipient: the update job runs on every state change.
 */
async function sendBack(deps: TelegramChannelDeps, ctx: DeliveryContext, verdict: { reason: string; attempts: number }): Promise<void> {
  await followUp(deps, ctx, `verdict-${verdict.attempts}`, (request) => sentBackText(verdict.reason, verdict.attempts, request))
}

/** A reply to the request message, recorded under `tag` so it is sent once and edited with the outcome. */
async function followUp(deps: TelegramChannelDeps, ctx: DeliveryContext, tag: string, text: (request: string) => string): Promise<void> {
  const cp = ctx.checkpoint
  const sent = await deps.refs.sent(cp.id, ctx.recipient)
  if (!sent || (await deps.refs.followUp(cp.id, ctx.recipient, tag))) return
  const ttlSeconds = linkTtlSeconds(cp.expiresAt)
  const params = compose(deps, cp, sent.chat, sent.ref, ttlSeconds)
  const message = await callBot('sendMessage', () =>
    deps.api.sendMessage({
      ...params,
      text: text(params.text),
      reply_parameters: { message_id: sent.messageId, allow_sending_without_reply: true },
    }),
  )
  await deps.refs.recordFollowUp(cp.id, ctx.recipient, tag, { chat: sent.chat, messageId: message.message_id, ref: sent.ref }, ttlSeconds)
}
