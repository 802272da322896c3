import type { RedisClient } from '../../engine/redis-client.js'
import type { Logger } from 'pino'
import { toView } from '../../engine/checkpoint-view.js'
import { mintDashboardLink } from '../../engine/dashboard-grant.js'
import type { Engine } from '../../engine/engine.js'
import { describeRefusal } from '../../engine/errors.js'
import { valueProblems } from '../../engine/json-schema.js'
import type { Keyring } from '../../engine/keyring.js'
import { advance, refusalOf, type CheckpointEvent } from '../../machine/index.js'
import { decodeOrigin, parseActionId } from './action-ids.js'
import { formFields } from '../common/form-fields.js'
import { answerFromState, errorsByBlock, type InputState } from './answers/modal-state.js'
import { firstTime } from './dedupe.js'
import { channelIdentities, withAssignedSpelling } from './membership.js'
import type { InteractionQueue, SlackUser } from './interaction-jobs.js'
import type { MessageRefs } from './message-refs.js'
import { formModal, linkModal } from './render/modal.js'
import { slackCall, type SlackClient } from './slack-api.js'
import type { SlackKeys } from './slack-keys.js'
import type { SlackPeople } from './slack-people.js'

export interface AckPathDeps {
  engine: Engine
  redis: RedisClient
  keys: SlackKeys
  queue: InteractionQueue
  people: SlackPeople
  refs: MessageRefs
  client: SlackClient
  keyring: Keyring
  publicUrl: string
  logger: Logger
}

export interface ButtonClick {
  user: SlackUser
  actionId: string
  actionTs: string
  checkpointId: string
  channel: string | null
  messageTs: string | null
  triggerId: string
}

export interface FormSubmission {
  user: SlackUser
  viewId: string
  viewHash: string
  privateMetadata: string
  values: Record<string, Record<string, InputState>>
}

export interface ThreadMessage {
  eventId: string | null
  channel: string
  ts: string
  threadTs: string | undefined
  user: string | undefined
  text: string | undefined
  /** Set for bot posts and edits: only people's new replies count. */
  ignored: boolean
}

export type FormAck = { response_action: 'errors'; errors: Record<string, string> } | undefined

const MIN_LINK_TTL_SECONDS = 300

/**
 * What happens while Slack waits (3 s): only Redis reads, SET NX dedupe, enqueueing a job,
 * and the one Web API call that cannot wait (views.open, whose trigger_id expires). The
 * form's schema check is here too, because its errors must be the HTTP response itself.
 */
export class AckPath {
  constructor(private readonly deps: AckPathDeps) {}

  /** Claim, release and one-click answers: queued once per click, however often Slack retries. */
  async button(click: ButtonClick): Promise<void> {
    const parsed = parseActionId(click.actionId)
    if (!parsed || parsed.kind === 'open') return
    const key = `action|${click.user.id}|${click.actionTs}|${click.actionId}|${click.checkpointId}`
    if (!(await firstTime(this.deps.redis, this.deps.keys, key))) return
    if (parsed.kind === 'approve-all') {
      // The button's value is the batch id; the job reads the members from the message's own ref.
      await this.deps.queue.add({ type: 'approve-all', batchId: click.checkpointId, user: click.user, channel: click.channel, messageTs: click.messageTs }, key)
      return
    }
    await this.deps.queue.add(
      {
        type: 'act',
        checkpointId: click.checkpointId,
        user: click.user,
        act: parsed.kind,
        ...(parsed.kind === 'answer' && { choice: parsed.choice }),
        ...(parsed.kind === 'confirm' && { proposal: parsed.proposal }),
        channel: click.channel,
        messageTs: click.messageTs,
        via: parsed.kind === 'confirm' ? 'confirm' : 'button',
      },
      key,
    )
  }

  /** Opens the answer form (or, for schemas a modal cannot hold, a personal dashboard link). */
  async openForm(click: ButtonClick): Promise<void> {
    const { engine, people } = this.deps
    const key = `open|${click.user.id}|${click.actionTs}|${click.checkpointId}`
    if (!(await firstTime(this.deps.redis, this.deps.keys, key))) return
    const cp = await engine.get(click.checkpointId)
    if (!cp) return
    const found = await people.actorFor(click.user.id, click.user.name, await channelIdentities(this.deps.refs, cp.id, click.channel, click.messageTs))
    const by = withAssignedSpelling(found, cp.persisted.context.assignTo)
    // The machine decides, as it will for the answer itself: same guards, nothing committed.
    const probe: CheckpointEvent = { type: 'checkpoint.answer', now: Math.max(Date.now(), cp.persisted.context.updatedAt), by, response: null }
    if (!advance(cp.persisted, probe)) {
      const refusal = refusalOf(cp.persisted, probe)
      await this.deps.queue.add(
        {
          type: 'refuse',
          checkpointId: cp.id,
          user: click.user,
          attempted: 'open_form',
          reason: refusal.code,
          channel: click.channel,
          messageTs: click.messageTs,
          tell: `${describeRefusal(refusal)} Nothing was changed.`,
        },
        key,
      )
      return
    }
    const view = toView(cp, this.deps.publicUrl)
    const fields = formFields(cp.request.responseSchema)
    const modal = fields
      ? formModal(view, fields, { checkpointId: cp.id, channel: click.channel, messageTs: click.messageTs })
      : linkModal(
          view,
          mintDashboardLink({
            keyring: this.deps.keyring,
            publicUrl: this.deps.publicUrl,
            checkpointId: cp.id,
            channel: 'slack',
            handle: click.user.id,
            ttlSeconds: Math.max(MIN_LINK_TTL_SECONDS, Math.ceil((cp.persisted.context.timeoutAt - Date.now()) / 1000)),
          }),
        )
    await slackCall(() => this.deps.client.views.open({ trigger_id: click.triggerId, view: modal }))
  }

  /** A submitted form: schema errors go back into the modal; a valid answer is queued once. */
  async submitForm(form: FormSubmission): Promise<FormAck> {
    const origin = decodeOrigin(form.privateMetadata)
    if (!origin) return undefined
    const cp = await this.deps.engine.get(origin.checkpointId)
    const fields = cp ? formFields(cp.request.responseSchema) : null
    if (!cp || !fields) return undefined
    const schema = cp.request.responseSchema
    const response = answerFromState(fields, form.values)
    const problems = await valueProblems(schema, response, '')
    if (problems.length > 0) {
      // The modal shows the errors now; the job puts the refusal through the answer service,
      // which audits it in the same shape as every other surface.
      await this.deps.queue.add(
        { type: 'act', checkpointId: cp.id, user: form.user, act: 'answer', response, channel: origin.channel, messageTs: origin.messageTs, via: 'form' },
        `form-invalid|${form.viewId}|${form.viewHash}`,
      )
      return { response_action: 'errors', errors: errorsByBlock(fields, problems) }
    }
    const key = `form|${form.viewId}`
    if (await firstTime(this.deps.redis, this.deps.keys, key)) {
      await this.deps.queue.add({ type: 'act', checkpointId: cp.id, user: form.user, act: 'answer', response, channel: origin.channel, messageTs: origin.messageTs, via: 'form' }, key)
    }
    return undefined
  }

  /** A person's reply in a checkpoint's thread: captured as free text in a job. */
  async threadMessage(msg: ThreadMessage): Promise<void> {
    if (msg.ignored || !msg.threadTs || msg.threadTs === msg.ts || !msg.user || !msg.text) return
    const owner = await this.deps.refs.threadOwner(msg.channel, msg.threadTs)
    // A reply under a batch message names no single item: only buttons answer there.
    if (!owner || owner.batch) return
    const key = `event|${msg.eventId ?? `${msg.channel}|${msg.ts}`}`
    if (!(await firstTime(this.deps.redis, this.deps.keys, key))) return
    await this.deps.queue.add(
      { type: 'reply', checkpointId: owner.checkpointId, recipient: owner.recipient, channel: msg.channel, threadTs: msg.threadTs, user: { id: msg.user }, text: msg.text },
      key,
    )
  }
}
