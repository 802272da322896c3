import { TeamsInfo, type TurnContext } from 'botbuilder'
import type { AnswerOutcome } from '../../engine/answer-outcome.js'
import { toView, type CheckpointView } from '../../engine/checkpoint-view.js'
import { mintDashboardLink } from '../../engine/dashboard-grant.js'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import { describeRefusal } from '../../engine/errors.js'
import type { Keyring } from '../../engine/keyring.js'
import { advance, refusalOf, type Actor, type CheckpointEvent } from '../../machine/index.js'
import { describeAnswer, oneClickChoices } from '../common/answer-choices.js'
import { formFields } from '../common/form-fields.js'
import { answerFromInputs, problemsByInput } from './answers/form-inputs.js'
import { actionData } from './card-actions-data.js'
import type { Conversations } from './conversations.js'
import type { MessageRefs } from './message-refs.js'
import { baseConversationId } from './recipients.js'
import { renderCard, type CardOptions } from './render/card.js'

/**
 * `adaptiveCard/action` invokes: the person's tap or form, recorded through the engine's one
 * answer path, and the card they see next (Teams shows the invoke response's card to the
 * person who acted; everyone else's copy is updated by the delivery worker). A refusal is
 * audited by the engine and told on the card, with who may answer instead.
 */
export interface CardActionDeps {
  engine: Engine
  directory: Directory
  conversations: Conversations
  refs: MessageRefs
  keyring: Keyring
  publicUrl: string
  clock?: () => number
}

export type InvokeBody =
  | { statusCode: 200; type: 'application/vnd.microsoft.card.adaptive'; value: Record<string, unknown> }
  | { statusCode: 200; type: 'application/vnd.microsoft.activity.message'; value: string }
  | { statusCode: 400; type: 'application/vnd.microsoft.error'; value: { code: string; message: string } }

const MIN_LINK_TTL_SECONDS = 300

const message = (text: string): InvokeBody => ({ statusCode: 200, type: 'application/vnd.microsoft.activity.message', value: text })

/** The routing strings that name whoever acted: their Teams handles, the directory's, the channel's. */
export async function actorOf(deps: Pick<CardActionDeps, 'directory' | 'conversations' | 'refs'>, turn: TurnContext, checkpointId: string): Promise<Actor> {
  const { from, conversation } = turn.activity
  const aad = from.aadObjectId?.toLowerCase()
  let actor = await deps.directory.actorFor('teams', aad ?? from.id, from.name)
  const upn = aad ? await principalName(deps.conversations, turn, aad) : null
  const identities = new Set(actor.identities ?? [])
  if (upn) {
    const byName = await deps.directory.actorFor('teams', upn, from.name)
    for (const id of byName.identities ?? []) identities.add(id)
    if (byName.name !== undefined && byName.name !== from.name) actor = { ...actor, name: byName.name }
  }
  // Teams only lets members of a channel act on its messages, so acting on the card Holdpoint
  // posted there for this checkpoint proves membership of the recipient it was posted for.
  if (conversation.conversationType === 'channel') {
    const recipient = `teams:channel:${baseConversationId(conversation.id)}`
    const card = await deps.refs.card(checkpointId, recipient)
    if (card && card.activityId === turn.activity.replyToId) identities.add(recipient)
  }
  return { ...actor, identities: [...identities] }
}

/** Their user principal name: remembered from an install, else asked of Teams once. */
async function principalName(conversations: Conversations, turn: TurnContext, aad: string): Promise<string | null> {
  const known = await conversations.principalName(aad)
  if (known) return known
  try {
    const member = await TeamsInfo.getMember(turn, turn.activity.from.id)
    if (!member.userPrincipalName) return null
    await conversations.rememberPrincipal(aad, member.userPrincipalName)
    return member.userPrincipalName.toLowerCase()
  } catch {
    // Without it the person still acts under their object id.
    return null
  }
}

function allowedList(cp: CheckpointView): string {
  const names = cp.assignTo.map((t) => t.replace(/^teams:channel:/, 'members of Teams channel ').replace(/^teams:/, '').replace(/^user:/, '').replace(/^group:/, 'group '))
  return names.length > 0 ? names.join(', ') : 'the people it was sent to'
}

function noticeFor(outcome: Exclude<AnswerOutcome, { status: 'not_found' | 'busy' | 'invalid' }>, label: string, publicUrl: string): CardOptions['notice'] {
  switch (outcome.status) {
    case 'recorded':
      return { text: outcome.checkpoint.state === 'verifying' ? `Recorded (${label}); the answer is being verified.` : `Recorded: ${label}`, tone: 'good' }
    case 'finished':
      return { text: 'This request had already ended; nothing was changed.', tone: 'default' }
    case 'refused':
      if (outcome.refusal.code === 'not_assigned') {
        return { text: `You may not answer this request. Only ${allowedList(toView(outcome.checkpoint, publicUrl))} may answer. Nothing was changed.`, tone: 'attention' }
      }
      return { text: `${describeRefusal(outcome.refusal)} Nothing was changed.`, tone: 'attention' }
  }
}

export class CardActions {
  private readonly clock: () => number

  constructor(private readonly deps: CardActionDeps) {
    this.clock = deps.clock ?? Date.now
  }

  /** `replay`: Teams sent an invoke we already handled; show the current card, act on nothing. */
  async handle(turn: TurnContext, replay: boolean): Promise<InvokeBody> {
    const value = turn.activity.value as { action?: { type?: unknown; data?: unknown } } | undefined
    const parsed = actionData.safeParse(value?.action?.data)
    if (value?.action?.type !== 'Action.Execute' || !parsed.success) {
      return { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'Not a Holdpoint action.' } }
    }
    const data = parsed.data
    const loaded = await this.deps.engine.get(data.cp)
    if (!loaded) return message('This request has ended.')
    const broadcast = turn.activity.conversation.conversationType === 'channel'
    const card = (cp: CheckpointView, extra: Omit<CardOptions, 'broadcast' | 'now'> = {}): InvokeBody => ({
      statusCode: 200,
      type: 'application/vnd.microsoft.card.adaptive',
      value: renderCard(cp, { broadcast, now: this.clock(), ...extra }),
    })
    const view = toView(loaded, this.deps.publicUrl)
    if (replay || data.hp === 'refresh') return card(view)
    const by = await actorOf(this.deps, turn, view.id)
    const via = { via: `teams.${data.hp}`, data: { activityId: turn.activity.replyToId ?? null } }
    let outcome: AnswerOutcome
    let label = ''
    switch (data.hp) {
      case 'answer': {
        const choice = data.choice === undefined ? undefined : oneClickChoices(view.responseSchema)?.[data.choice]
        if (!choice) return card(view, { notice: { text: 'That button is no longer active; nothing was changed.', tone: 'attention' } })
        label = choice.label
        outcome = await this.deps.engine.answer({ id: view.id, by, response: choice.response, ...via, loaded })
        break
      }
      case 'submit': {
        const fields = formFields(view.responseSchema)
        if (!fields) return card(view)
        const response = answerFromInputs(fields, data)
        label = describeAnswer(response, null)
        outcome = await this.deps.engine.answer({ id: view.id, by, response, ...via, loaded })
        if (outcome.status === 'invalid') {
          const problems = problemsByInput(fields, outcome.problems)
          return card(toView(outcome.checkpoint, this.deps.publicUrl), { notice: { text: 'Not accepted: please correct the fields below.', tone: 'attention' }, form: { values: data, problems } })
        }
        break
      }
      case 'claim':
        outcome = await this.deps.engine.claim({ id: view.id, by, ...via, loaded })
        label = 'claimed'
        break
      case 'release':
        outcome = await this.deps.engine.release({ id: view.id, by, ...via, loaded })
        label = 'released'
        break
      case 'open':
        return this.formLink(view, loaded, by, card)
    }
    switch (outcome.status) {
      case 'not_found':
        return message('This request has ended.')
      case 'busy':
        return card(view, { notice: { text: 'Busy right now; try again in a moment.', tone: 'attention' } })
      case 'invalid':
        return card(toView(outcome.checkpoint, this.deps.publicUrl), { notice: { text: `Not accepted: ${outcome.problems.map((p) => `${p.path || 'answer'} ${p.message}`).join('; ')}`, tone: 'attention' } })
      default:
        return card(toView(outcome.checkpoint, this.deps.publicUrl), { notice: noticeFor(outcome, label, this.deps.publicUrl) })
    }
  }

  /** A schema no card can hold: a personal, signed dashboard link, if the machine would let them answer. */
  private formLink(view: CheckpointView, loaded: NonNullable<Awaited<ReturnType<Engine['get']>>>, by: Actor, card: (cp: CheckpointView, extra?: Omit<CardOptions, 'broadcast' | 'now'>) => InvokeBody): InvokeBody {
    const probe: CheckpointEvent = { type: 'checkpoint.answer', now: Math.max(this.clock(), loaded.persisted.context.updatedAt), by, response: null }
    if (!advance(loaded.persisted, probe)) {
      const refusal = refusalOf(loaded.persisted, probe)
      const text = refusal.code === 'not_assigned' ? `You may not answer this request. Only ${allowedList(view)} may answer.` : describeRefusal(refusal)
      return card(view, { notice: { text, tone: 'attention' } })
    }
    const ttlSeconds = Math.max(MIN_LINK_TTL_SECONDS, Math.ceil((loaded.persisted.context.timeoutAt - this.clock()) / 1000))
    const formLink = mintDashboardLink({ keyring: this.deps.keyring, publicUrl: this.deps.publicUrl, checkpointId: view.id, channel: 'teams', handle: by.actor, ttlSeconds })
    return card(view, { formLink, notice: { text: 'This answer needs the full form: open it below (the link is yours alone).', tone: 'default' } })
  }
}
