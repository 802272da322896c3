import { isTerminal } from '../../machine/types.js'
import { PermanentDeliveryError, type Channel, type DeliveryContext } from '../../plugins/channel.js'
import type { MessageRefs, MessageRef } from './message-refs.js'
import { parseRecipient } from './recipients.js'
import { renderMessage } from './render/message.js'
import { outcomeReply } from './render/reply.js'
import { slackCall, type SlackClient } from './slack-api.js'
import type { SlackPeople } from './slack-people.js'

export interface SlackChannelDeps {
  client: SlackClient
  refs: MessageRefs
  people: SlackPeople
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
    const conversation = target.kind === 'channel' ? target.channel : await this.directConversation(target.kind === 'user' ? target.userId : await this.deps.people.userForEmail(target.email))
    const message = renderMessage(ctx.checkpoint, { broadcast: target.kind === 'channel', now: this.clock() })
    const posted = await slackCall(() => client.chat.postMessage({ channel: conversation, text: message.text, blocks: message.blocks, unfurl_links: false, unfurl_media: false }))
    if (!posted.ts || !posted.channel) throw new Error('chat.postMessage answered without channel and ts')
    await refs.save(ctx.checkpoint.id, { channel: posted.channel, ts: posted.ts, recipient: ctx.recipient, kind: 'main' })
  }

  async update(ctx: DeliveryContext): Promise<void> {
    const messages = await this.deps.refs.forRecipient(ctx.checkpoint.id, ctx.recipient)
    for (const ref of messages) await this.refresh(ctx, ref)
  }

  private async refresh(ctx: DeliveryContext, ref: MessageRef): Promise<void> {
    const cp = ctx.checkpoint
    let message
    if (ref.kind === 'main') message = renderMessage(cp, { broadcast: parseRecipient(ctx.recipient)?.kind === 'channel', now: this.clock() })
    else if (isTerminal(cp.state)) message = outcomeReply(cp)
    // An open thread reply keeps its buttons; a click on a stale one is refused politely.
    else return
    await slackCall(() => this.deps.client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks }))
  }

  private async directConversation(userId: string): Promise<string> {
    const opened = await slackCall(() => this.deps.client.conversations.open({ users: userId }))
    const id = opened.channel?.id
    if (!id) throw new Error('conversations.open answered without a channel')
    return id
  }
}
