import type { Queue } from 'bullmq'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { toView } from '../../engine/checkpoint-view.js'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import { isTerminal, type Actor } from '../../machine/types.js'
import { freeTextAnswer, oneClickChoices } from '../common/answer-choices.js'
import { outcomeLine } from '../common/request-summary.js'
import { enqueueAnswerCall, type InboundUpdate, type TelegramUser } from './inbound-queue.js'
import { parseConfirmData, type TelegramFreeText } from './free-text.js'
import { parseCallbackData, type MessageRef, type MessageRefs } from './message-refs.js'

/**
 * Turns an inbound update into at most one answer event. A button tap is always answered
 * (answerCallbackQuery, queued like every Bot API call); a refusal gets a short message and,
 * through the engine, an audit entry. A reply to a ForceReply prompt answers a single
 * free-text field; its outcome shows when the request message is edited.
 */
export interface UpdateHandlerDeps {
  engine: Engine
  directory: Directory
  refs: MessageRefs
  queue: Queue
  publicUrl: string
  /** Free text → proposal → Confirm, when a model is configured; without it a reply answers a free-text field directly. */
  freeText?: TelegramFreeText
}

type Tap = NonNullable<InboundUpdate['tap']>
type Reply = NonNullable<InboundUpdate['reply']>

async function actorFor(deps: UpdateHandlerDeps, from: TelegramUser, chat: string | undefined, ref: MessageRef): Promise<Actor> {
  const actor = await deps.directory.actorFor('telegram', String(from.id), from.name)
  // A group the agent addressed (`telegram:<group chat id>` in assignTo; group ids are
  // negative) answers through its members. A private chat is only ever its own user.
  if (chat === undefined || chat !== ref.chat || !chat.startsWith('-')) return actor
  return { ...actor, identities: [...(actor.identities ?? []), `telegram:${chat}`] }
}

/** Sends the answer event; returns the line to show the person. */
async function submit(deps: UpdateHandlerDeps, loaded: LoadedCheckpoint, actor: Actor, response: unknown, label: string, via: string): Promise<{ text: string; alert: boolean }> {
  const outcome = await deps.engine.answer({ id: loaded.id, by: actor, response, via, loaded })
  switch (outcome.status) {
    case 'recorded':
      return { text: `Recorded: ${label}`.slice(0, 190), alert: false }
    case 'invalid':
      return { text: `Not accepted: ${outcome.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`.slice(0, 190), alert: true }
    case 'refused':
      if (outcome.refusal.code === 'not_assigned') return { text: 'You are not allowed to answer this request.', alert: true }
      if (outcome.refusal.code === 'claimed_by_other') return { text: 'Someone else is handling this request.', alert: true }
      return { text: outcomeLine(toView(outcome.checkpoint, deps.publicUrl)).slice(0, 190), alert: false }
    case 'finished':
      return { text: outcomeLine(toView(outcome.checkpoint, deps.publicUrl)).slice(0, 190), alert: false }
    case 'busy':
      return { text: 'Busy right now; tap again in a moment.', alert: true }
    case 'not_found':
      return { text: 'This request has ended.', alert: false }
  }
}

async function handleTap(deps: UpdateHandlerDeps, tap: Tap): Promise<string> {
  const answer = (text: string, alert = false) =>
    enqueueAnswerCall(deps.queue, { method: 'answerCallbackQuery', params: { callback_query_id: tap.id, text, ...(alert && { show_alert: true }) } })
  const proposalId = parseConfirmData(tap.data)
  if (proposalId) return handleConfirm(deps, tap, proposalId, answer)
  const parsed = parseCallbackData(tap.data)
  const ref = parsed && (await deps.refs.resolve(parsed.ref))
  const loaded = ref && (await deps.engine.get(ref.cp))
  if (!parsed || !ref || !loaded) {
    await answer('This button is no longer active.')
    return 'unknown button'
  }
  const cp = toView(loaded, deps.publicUrl)
  const choice = oneClickChoices(cp.responseSchema)?.[parsed.index]
  if (!choice) {
    await answer('This button is no longer active.')
    return 'unknown choice'
  }
  const actor = await actorFor(deps, tap.from, tap.chat, ref)
  const result = await submit(deps, loaded, actor, choice.response, choice.label, 'telegram-button')
  await answer(result.text, result.alert)
  return result.text
}

/** A Confirm tap on a proposal: the proposed answer, sent like any other, by its author only. */
async function handleConfirm(deps: UpdateHandlerDeps, tap: Tap, proposalId: string, answer: (text: string, alert?: boolean) => Promise<void>): Promise<string> {
  const confirmed = deps.freeText ? await deps.freeText.confirmed(proposalId, tap.from.id, tap.chat) : { refused: 'This button is no longer active.' }
  if ('refused' in confirmed) {
    await answer(confirmed.refused, true)
    return confirmed.refused
  }
  const loaded = await deps.engine.get(confirmed.checkpointId)
  if (!loaded) {
    await answer('This button is no longer active.')
    return 'unknown checkpoint'
  }
  const cp = toView(loaded, deps.publicUrl)
  const actor = await actorFor(deps, tap.from, tap.chat, { cp: cp.id, chat: tap.chat ?? '' })
  const result = await submit(deps, loaded, actor, confirmed.response, 'your reply', 'telegram-reply-confirmed')
  await answer(result.text, result.alert)
  if (!result.alert && tap.chat !== undefined && tap.messageId !== undefined) await deps.freeText?.markConfirmed(tap.chat, tap.messageId, confirmed.response)
  return result.text
}

async function handleReply(deps: UpdateHandlerDeps, reply: Reply): Promise<string> {
  const refId = await deps.refs.refForReply(reply.chat, reply.replyTo)
  const ref = refId && (await deps.refs.resolve(refId))
  const loaded = ref && (await deps.engine.get(ref.cp))
  if (!ref || !loaded) return 'not a reply to a request'
  if (deps.freeText?.available(loaded)) {
    if (isTerminal(loaded.state)) return 'finished meanwhile'
    return deps.freeText.propose(loaded, reply, `telegram:${ref.chat}`)
  }
  const cp = toView(loaded, deps.publicUrl)
  const build = freeTextAnswer(cp.responseSchema)
  if (!build) return 'request does not take free text'
  const actor = await actorFor(deps, reply.from, reply.chat, ref)
  return (await submit(deps, loaded, actor, build(reply.text), 'your reply', 'telegram-reply')).text
}

export async function handleUpdate(deps: UpdateHandlerDeps, update: InboundUpdate): Promise<string> {
  if (update.tap) return handleTap(deps, update.tap)
  if (update.reply) return handleReply(deps, update.reply)
  return 'ignored'
}
