import { toView } from '../../engine/checkpoint-view.js'
import type { Engine } from '../../engine/engine.js'
import { isTerminal } from '../../machine/types.js'
import type { FreeTextReader } from '../../plugins/free-text-reader.js'
import type { ProposalStore } from '../common/proposals.js'
import { VerifierMisconfigured, VerifierUnavailable } from '../../plugins/free-text-reader.js'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'
import type { InteractionJob } from './interaction-jobs.js'
import type { MessageRefs } from './message-refs.js'
import { isBroadcast } from './recipients.js'
import { renderProposal, renderUnreadable } from './render/proposal.js'
import { slackCall, type SlackClient } from './slack-api.js'

export interface SlackFreeTextDeps {
  engine: Engine
  extractor: FreeTextReader
  proposals: ProposalStore
  client: SlackClient
  refs: MessageRefs
  publicUrl: string
}

type ExtractJob = Extract<InteractionJob, { type: 'extract' }>

/** A proposal belongs to the Slack user who wrote the words. */
export const slackAuthor = (userId: string) => `slack:${userId}`

/**
 * Thread replies in words become a typed answer to confirm: the model reads them in a job
 * (never in Slack's 3-second window), the schema checks the reading, and the thread shows
 * it with Confirm / Edit. Only Confirm sends an answer.
 */
export class SlackFreeText {
  constructor(private readonly deps: SlackFreeTextDeps) {}

  /** Whether words in this checkpoint's threads can be read at all (a model is configured). */
  available(cp: Parameters<FreeTextReader['availableFor']>[0]): boolean {
    return this.deps.extractor.availableFor(cp)
  }

  async extract(data: ExtractJob): Promise<string> {
    const loaded = await this.deps.engine.get(data.checkpointId)
    if (!loaded || isTerminal(loaded.state)) return 'finished meanwhile'
    let proposal
    try {
      proposal = await this.deps.extractor.extract(loaded, data.text)
    } catch (error) {
      // The worker's retry rules apply: a provider's Retry-After is honoured without spending an attempt.
      if (error instanceof VerifierUnavailable) throw error.retryAfterMs !== null ? new RetryAfterError(error.retryAfterMs) : error
      if (error instanceof VerifierMisconfigured) throw new PermanentDeliveryError(error.message)
      throw error
    }
    const cp = toView(loaded, this.deps.publicUrl)
    let message
    if (proposal.valid) {
      const proposalId = await this.deps.proposals.save({ checkpointId: cp.id, author: slackAuthor(data.userId), answer: proposal.answer })
      message = renderProposal(cp, { userId: data.userId, proposalId, answer: proposal.answer, reading: proposal.reason })
    } else {
      const reading = proposal.problems.length > 0 ? `${proposal.reason} (it does not fit what the request asks for)` : proposal.reason
      message = renderUnreadable(cp, { userId: data.userId, reading, broadcast: isBroadcast(data.recipient) })
    }
    const posted = await slackCall(() => this.deps.client.chat.postMessage({ channel: data.channel, thread_ts: data.threadTs, text: message.text, blocks: message.blocks }))
    // Saved as a thread reply, so the checkpoint's end replaces its buttons with the outcome.
    if (posted.ts) await this.deps.refs.save(cp.id, { channel: data.channel, ts: posted.ts, recipient: data.recipient, kind: 'reply' })
    return proposal.valid ? 'proposed' : 'unreadable'
  }

  /** The answer a Confirm click stands for, or why it cannot count. */
  async confirmed(proposalId: string, checkpointId: string, userId: string): Promise<{ response: unknown } | { refused: string }> {
    const proposal = await this.deps.proposals.get(proposalId)
    if (!proposal || proposal.checkpointId !== checkpointId) return { refused: 'That proposal has expired; please answer again.' }
    if (proposal.author !== slackAuthor(userId)) return { refused: 'Only the person who wrote that reply can confirm it.' }
    return { response: proposal.answer }
  }
}
