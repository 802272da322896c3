import type { Activity, ConversationReference } from 'botbuilder'
import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { isTerminal } from '../../machine/types.js'
import { PermanentDeliveryError, type Channel, type DeliveryContext } from '../../plugins/channel.js'
import type { TeamsBot } from './bot.js'
import { classifyConnectorError } from './connector-errors.js'
import type { Conversations } from './conversations.js'
import type { MessageRefs, SentCard } from './message-refs.js'
import { parseRecipient } from './recipients.js'
import { renderCard, summaryText, type AdaptiveCard } from './render/card.js'
import { escapeMarkdown, humanDuration, truncate } from './render/text.js'

export interface TeamsChannelDeps {
  bot: TeamsBot
  conversations: Conversations
  refs: MessageRefs
  clock?: () => number
}

export function cardActivity(card: AdaptiveCard, cp: CheckpointView): Partial<Activity> {
  return { type: 'message', summary: summaryText(cp), attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', content: card }] }
}

/**
 * Teams delivery, run by the deliver-teams queue: a proactive card in a channel (a new
 * thread) or a personal chat, kept up to date for everyone on every change; reminders and
 * answers sent back are replies in the card's thread. Connector failures become the channel
 * contract's errors (429 → RetryAfterError, app removed / conversation gone → permanent).
 */
export class TeamsChannel implements Channel {
  readonly name = 'teams'
  private readonly clock: () => number

  constructor(private readonly deps: TeamsChannelDeps) {
    this.clock = deps.clock ?? Date.now
  }

  async deliver(ctx: DeliveryContext): Promise<void> {
    const cp = ctx.checkpoint
    // Posted on an earlier attempt (the job failed after Teams took the card): never twice.
    if (await this.deps.refs.card(cp.id, ctx.recipient)) return
    const target = parseRecipient(ctx.recipient)
    if (!target) throw new PermanentDeliveryError('not a Teams recipient')
    const reference = await this.deps.conversations.forTarget(target)
    if (!reference?.conversation) {
      throw new PermanentDeliveryError(
        target.kind === 'channel' ? 'Holdpoint is not installed in that team (no conversation reference for the channel)' : 'that person has not installed Holdpoint in Teams (no personal chat)',
      )
    }
    const card = renderCard(cp, { broadcast: target.kind === 'channel', now: this.clock() })
    const activityId = await this.call('send the card', () => this.deps.bot.send(reference, cardActivity(card, cp)))
    await this.deps.refs.saveCard(cp.id, ctx.recipient, { conversationId: reference.conversation.id, activityId })
  }

  async update(ctx: DeliveryContext): Promise<void> {
    const cp = ctx.checkpoint
    const sent = await this.deps.refs.card(cp.id, ctx.recipient)
    if (!sent) return
    await this.refreshCard(ctx, sent)
    // An answer the verifier sent back: once per failed attempt, a reply saying why.
    const verdict = cp.verification
    if (!isTerminal(cp.state) && verdict && !verdict.passed && verdict.attempts > 0) {
      await this.reply(ctx, sent, `verdict-${verdict.attempts}`, `⚠️ The answer was sent back: ${escapeMarkdown(truncate(verdict.reason, 1000))} Please answer again on the card.`)
    }
  }

  /** A reply in the card's thread, once per reminder job, and the card's time left brought up to date. */
  async remind(ctx: DeliveryContext): Promise<void> {
    const cp = ctx.checkpoint
    const sent = await this.deps.refs.card(cp.id, ctx.recipient)
    if (!sent || isTerminal(cp.state)) return
    await this.refreshCard(ctx, sent)
    const left = humanDuration(Date.parse(cp.expiresAt) - this.clock())
    await this.reply(ctx, sent, `remind-${ctx.deliveryId}`, `⏰ Reminder: **${escapeMarkdown(truncate(cp.task, 500))}** is still waiting for an answer (${left} left).`)
  }

  private async refreshCard(ctx: DeliveryContext, sent: SentCard): Promise<void> {
    const reference = await this.referenceFor(sent)
    const card = renderCard(ctx.checkpoint, { broadcast: parseRecipient(ctx.recipient)?.kind === 'channel', now: this.clock() })
    await this.call('update the card', () => this.deps.bot.update(reference, { ...cardActivity(card, ctx.checkpoint), id: sent.activityId }))
  }

  private async reply(ctx: DeliveryContext, sent: SentCard, tag: string, text: string): Promise<void> {
    const { refs } = this.deps
    if (!(await refs.claimReply(ctx.checkpoint.id, ctx.recipient, tag))) return
    try {
      const reference = await this.referenceFor(sent)
      const conversation = reference.conversation
      // In a channel the reply chain is its own conversation id; a personal chat has one thread.
      const thread = conversation && conversation.conversationType === 'channel' ? { ...conversation, id: `${sent.conversationId};messageid=${sent.activityId}` } : conversation
      const inChannel = conversation?.conversationType === 'channel'
      const message = { type: 'message', text, textFormat: 'markdown' }
      await this.call('reply in the thread', () => this.deps.bot.send({ ...reference, ...(thread && { conversation: thread }) }, message, inChannel ? undefined : sent.activityId))
    } catch (error) {
      // Not sent: the retried job may try again.
      await refs.releaseReply(ctx.checkpoint.id, ctx.recipient, tag)
      throw error
    }
  }

  private async referenceFor(sent: SentCard): Promise<Partial<ConversationReference>> {
    const reference = await this.deps.conversations.reference(sent.conversationId)
    if (!reference) throw new PermanentDeliveryError('the app was removed from that conversation')
    return reference
  }

  private async call<T>(what: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work()
    } catch (error) {
      throw classifyConnectorError(error, what, this.clock())
    }
  }
}
