import type { Job } from 'bullmq'
import { toView } from '../../engine/checkpoint-view.js'
import type { Engine } from '../../engine/engine.js'
import type { AnswerOutcome } from '../../engine/answer-outcome.js'
import { CheckpointNotFound, CommitContention, describeRefusal } from '../../engine/errors.js'
import { mayAct, respondedBy } from '../../machine/index.js'
import { isTerminal } from '../../machine/types.js'
import { oneClickChoices } from './answers/one-click.js'
import { approveAll } from './approve-all.js'
import type { InteractionJob, InteractionQueue } from './interaction-jobs.js'
import type { MessageRefs } from './message-refs.js'
import { channelIdentities, withAssignedSpelling } from './membership.js'
import { isBroadcast } from './recipients.js'
import { renderThreadReply } from './render/reply.js'
import { slackCall, type SlackClient } from './slack-api.js'
import type { SlackPeople } from './slack-people.js'
import type { SlackFreeText } from './free-text.js'

export interface InteractionDeps {
  engine: Engine
  people: SlackPeople
  client: SlackClient
  refs: MessageRefs
  queue: InteractionQueue
  publicUrl: string
  clock?: () => number
  /** Reads typed answers from thread replies when a model is configured (verify/). */
  freeText?: SlackFreeText
}

type JobOf<T extends InteractionJob['type']> = Extract<InteractionJob, { type: T }>

/**
 * What each interaction job does. Engine work and sending are separate jobs, so a failed
 * send is retried without applying (or auditing) anything a second time.
 */
export class InteractionHandlers {
  constructor(private readonly deps: InteractionDeps) {}

  async run(job: Job<InteractionJob>): Promise<string> {
    const data = job.data
    switch (data.type) {
      case 'act':
        return this.act(data, job.id ?? '')
      case 'approve-all': {
        const result = await approveAll(this.deps, data)
        if (result.tell) await this.tell({ checkpointId: result.tell.checkpointId, channel: data.channel, user: data.user }, result.tell.text, `${job.id ?? ''}.told`)
        return result.summary
      }
      case 'refuse':
        return this.refuse(data, job.id ?? '')
      case 'reply':
        return this.reply(data, job.id ?? '')
      case 'ephemeral':
        return this.ephemeral(data)
      case 'thread-answer':
        return this.threadAnswer(data)
      case 'extract':
        return this.deps.freeText ? this.deps.freeText.extract(data) : 'free text is not read on this server'
    }
  }

  private async tell(job: { checkpointId: string; channel: string | null; user: { id: string } }, text: string, key: string): Promise<void> {
    if (job.channel === null) return
    await this.deps.queue.add({ type: 'ephemeral', checkpointId: job.checkpointId, channel: job.channel, userId: job.user.id, text }, key)
  }

  private async act(job: JobOf<'act'>, key: string): Promise<string> {
    const { engine, people } = this.deps
    const cp = await engine.get(job.checkpointId)
    if (!cp) return 'checkpoint gone'
    const found = await people.actorFor(job.user.id, job.user.name, await channelIdentities(this.deps.refs, cp.id, job.channel, job.messageTs))
    const by = withAssignedSpelling(found, cp.persisted.context.assignTo)
    let outcome: AnswerOutcome
    const via = `slack.${job.via}`
    if (job.act === 'answer' || job.act === 'confirm') {
      let response = job.choice !== undefined ? oneClickChoices(cp.request.responseSchema)[job.choice]?.response : job.response
      if (job.act === 'confirm') {
        const confirmed = this.deps.freeText && job.proposal ? await this.deps.freeText.confirmed(job.proposal, cp.id, job.user.id) : { refused: 'That proposal is not known.' }
        if ('refused' in confirmed) {
          await this.tell(job, confirmed.refused, `${key}.told`)
          return 'refused: proposal'
        }
        response = confirmed.response
      }
      if (response === undefined) {
        await this.tell(job, 'That button is no longer active; nothing was changed.', `${key}.told`)
        return 'invalid'
      }
      outcome = await engine.answer({ id: cp.id, by, response, via, loaded: cp })
    } else {
      outcome = await (job.act === 'claim' ? engine.claim({ id: cp.id, by, via, loaded: cp }) : engine.release({ id: cp.id, by, via, loaded: cp }))
    }
    switch (outcome.status) {
      case 'recorded':
        return 'applied'
      case 'not_found':
        return 'checkpoint gone'
      case 'busy':
        throw new CommitContention(cp.id)
      case 'invalid':
        // A form's errors were already shown in the modal; a button has nothing to show them in.
        if (job.via !== 'form') await this.tell(job, 'That answer does not fit what the request asks for; nothing was changed.', `${key}.told`)
        return 'invalid'
      case 'finished':
      case 'refused': {
        // The engine has audited the refusal; the person hears why, privately.
        const refusal = outcome.status === 'finished' ? { code: 'terminal' as const, state: outcome.checkpoint.state } : outcome.refusal
        await this.tell(job, `${describeRefusal(refusal)} Nothing was changed.`, `${key}.told`)
        return `refused: ${refusal.code}`
      }
    }
  }

  private async refuse(job: JobOf<'refuse'>, key: string): Promise<string> {
    const also = await channelIdentities(this.deps.refs, job.checkpointId, job.channel, job.messageTs)
    const by = await this.deps.people.actorFor(job.user.id, job.user.name, also)
    try {
      await this.deps.engine.note(job.checkpointId, {
        kind: 'refused',
        actor: respondedBy(by),
        data: { attempted: job.attempted, reason: job.reason, via: 'slack' },
      })
    } catch (error) {
      if (error instanceof CheckpointNotFound) return 'checkpoint gone'
      throw error
    }
    if (job.tell !== null) await this.tell(job, job.tell, `${key}.told`)
    return 'audited'
  }

  private async reply(job: JobOf<'reply'>, key: string): Promise<string> {
    const cp = await this.deps.engine.get(job.checkpointId)
    if (!cp) return 'checkpoint gone'
    const found = await this.deps.people.actorFor(job.user.id, job.user.name, isBroadcast(job.recipient) ? [job.recipient] : [])
    const by = withAssignedSpelling(found, cp.persisted.context.assignTo)
    const assigned = mayAct(cp.persisted.context, by)
    // Kept word for word: once a verifier exists it turns this into a typed answer to confirm.
    await this.deps.engine.note(cp.id, { kind: 'free_text', actor: respondedBy(by), data: { text: job.text, assigned, via: 'slack.thread' } })
    if (assigned && !isTerminal(cp.state) && this.deps.freeText?.available(cp)) {
      await this.deps.queue.add(
        { type: 'extract', checkpointId: cp.id, recipient: job.recipient, channel: job.channel, threadTs: job.threadTs, userId: job.user.id, text: job.text },
        `${key}.extract`,
      )
      return 'captured; reading it'
    }
    await this.deps.queue.add(
      { type: 'thread-answer', checkpointId: cp.id, recipient: job.recipient, channel: job.channel, threadTs: job.threadTs, userId: job.user.id, assigned },
      `${key}.answer`,
    )
    return 'captured'
  }

  private async ephemeral(job: JobOf<'ephemeral'>): Promise<string> {
    await slackCall(() => this.deps.client.chat.postEphemeral({ channel: job.channel, user: job.userId, text: job.text }))
    return 'sent'
  }

  private async threadAnswer(job: JobOf<'thread-answer'>): Promise<string> {
    const cp = await this.deps.engine.get(job.checkpointId)
    if (!cp) return 'checkpoint gone'
    const view = toView(cp, this.deps.publicUrl)
    const now = (this.deps.clock ?? Date.now)()
    const message = renderThreadReply(view, { broadcast: isBroadcast(job.recipient), now, userId: job.userId, assigned: job.assigned })
    const posted = await slackCall(() => this.deps.client.chat.postMessage({ channel: job.channel, thread_ts: job.threadTs, text: message.text, blocks: message.blocks }))
    if (posted.ts) await this.deps.refs.save(cp.id, { channel: job.channel, ts: posted.ts, recipient: job.recipient, kind: 'reply' })
    return 'sent'
  }
}
