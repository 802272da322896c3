import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { isTerminal } from '../../machine/types.js'
import { PermanentDeliveryError, type BatchDelivery, type Channel, type DeliveryContext } from '../../plugins/channel.js'
import type { MessageRefs, MessageRef, BatchMessage } from './message-refs.js'
import { parseRecipient, type SlackTarget } from './recipients.js'
import { MAX_BATCH_ITEMS, renderBatchMessage } from './render/batch-message.js'
import { renderMessage } from './render/message.js'
import { outcomeReply } from './render/reply.js'
import { slackCall, type SlackClient } from './slack-api.js'
import type { SlackPeople } from './slack-people.js'

export interface SlackChannelDeps {
  client: SlackClient
  refs: MessageRefs
  people: SlackPeople
  /** The current views of checkpoints (gone ones left out): a batch message is redrawn from them. */
  views: (ids: string[]) => Promise<CheckpointView[]>
  clock?: () => number
}

/**
 * Delivers a checkpoint to a Slack channel (broadcast) or to one person (direct message,
 * resolving an email through users.lookupByEmail), and keeps every message it posted up to
 * date. Runs in the `deliver-slack` worker; Web API failures become the channel contract's
 * errors (429 → RetryAfterError, a missing channel or user → PermanentDeliveryError).
 */
export class SlackChannel implements Channel {
  readonly name = 'slack'
  private readonly clock: () => number

  constructor(private readonly deps: SlackChannelDeps) {
    this.clock = deps.clock ?? Date.now
  }

  async deliver(ctx: DeliveryContext): Promise<void> {
    const { client, refs } = this.deps
    const target = parseRecipient(ctx.recipient)
    if (!target) throw new PermanentDeliveryError('not a Slack recipient')
    // Already posted on an earlier attempt (the job failed after Slack took the message).
    if (await refs.main(ctx.checkpoint.id, ctx.recipient)) return
    const conversation = await this.conversationFor(target)
    const message = renderMessage(ctx.checkpoint, { broadcast: target.kind === 'channel', now: this.clock() })
    const posted = await slackCall(() => client.chat.postMessage({ channel: conversation, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }))
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel and ts')
    await refs.save(ctx.checkpoint.id, { channel: posted.channel, ts: posted.ts, recipient: ctx.recipient, kind: 'main' })
  }

  /**
   * One message for a batch's members (several past MAX_BATCH_ITEMS), each member's main ref
   * pointing at it so its updates redraw the whole message. A part already posted (its first
   * member has a ref) is not posted again on a retry.
   */
  async deliverBatch(delivery: BatchDelivery): Promise<void> {
    const { client, refs } = this.deps
    const target = parseRecipient(delivery.recipient)
    if (!target) throw new PermanentDeliveryError('not a Slack recipient')
    const broadcast = target.kind === 'channel'
    let conversation: string | null = null
    for (let start = 0; start < delivery.items.length; start += MAX_BATCH_ITEMS) {
      const part = delivery.items.slice(start, start + MAX_BATCH_ITEMS).map((item) => item.checkpoint)
      const first = part[0]
      if (!first || (await refs.main(first.id, delivery.recipient))) continue
      conversation ??= await this.conversationFor(target)
      const to = conversation
      const message = renderBatchMessage(delivery.batch, part, { broadcast, now: this.clock() })
      const posted = await slackCall(() => client.chat.postMessage({ channel: to, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }))
      if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel and ts')
      const batch: BatchMessage = { id: delivery.batch.id, title: delivery.batch.title, members: part.map((cp) => cp.id) }
      await refs.saveBatch({ channel: posted.channel, ts: posted.ts, recipient: delivery.recipient, kind: 'main', batch })
    }
  }

  async update(ctx: DeliveryContext): Promise<void> {
    const messages = await this.deps.refs.forRecipient(ctx.checkpoint.id, ctx.recipient)
    for (const ref of messages) await this.refresh(ctx, ref)
  }

  private async refresh(ctx: DeliveryContext, ref: MessageRef): Promise<void> {
    const cp = ctx.checkpoint
    let message
    if (ref.batch) message = await this.batchMessage(ref.batch, cp, ctx.recipient)
    else if (ref.kind === 'main') message = renderMessage(cp, { broadcast: parseRecipient(ctx.recipient)?.kind === 'channel', now: this.clock() })
    else if (isTerminal(cp.state)) message = outcomeReply(cp)
    // An open thread reply keeps its buttons; a click on a stale one is refused politely.
    else return
    await slackCall(() => this.deps.client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks }))
  }

  /** The batch message as its members stand now; `cp` is the freshest view of the one that changed. */
  private async batchMessage(batch: BatchMessage, cp: CheckpointView, recipient: string) {
    const current = new Map((await this.deps.views(batch.members)).map((view) => [view.id, view]))
    current.set(cp.id, cp)
    const items = batch.members.flatMap((id) => current.get(id) ?? [])
    return renderBatchMessage(batch, items, { broadcast: parseRecipient(recipient)?.kind === 'channel', now: this.clock() })
  }

  private async conversationFor(target: SlackTarget): Promise<string> {
    if (target.kind === 'channel') return target.channel
    return this.directConversation(target.kind === 'user' ? target.userId : await this.deps.people.userForEmail(target.email))
  }

  private async directConversation(userId: string): Promise<string> {
    const opened = await slackCall(() => this.deps.client.conversations.open({ users: userId }))
    const id = opened.channel?.id
    if (!id) throw new Error('conversations.open answered without a channel')
    return id
  }
}
