import type { CheckpointView } from '../../../engine/checkpoint-view.js'
import { isTerminal, type RespondedBy } from '../../../machine/types.js'
import { oneClickChoices, describeAnswer } from '../../common/answer-choices.js'
import { describeValue, isNode, labelOf } from '../../common/schema-shape.js'
import { formFields } from '../../common/form-fields.js'
import { formElements, type CardElement } from '../answers/form-inputs.js'
import { VERB, type ActionData } from '../card-actions-data.js'
import { escapeMarkdown, humanDuration, teamsDate, truncate } from './text.js'

/**
 * The checkpoint as an Adaptive Card (1.4, Universal Actions) for every state: open with
 * one-tap buttons or the form, claimed (who holds it, for everyone), and finished (the
 * outcome and who decided, no actions). Every agent or person string is escaped.
 */
export type AdaptiveCard = Record<string, unknown> & { type: 'AdaptiveCard'; body: CardElement[]; actions?: CardElement[] }

export interface CardOptions {
  /** Sent to a channel: anyone assigned may claim, the first claim wins. */
  broadcast: boolean
  now: number
  /** A line for the person who acted (shown only in the card their click returned). */
  notice?: { text: string; tone: 'good' | 'attention' | 'default' }
  /** A refused form submission: what they typed, and the problems by input. */
  form?: { values: Record<string, unknown>; problems: Record<number, string> }
  /** A personal dashboard link, for schemas a card cannot hold. */
  formLink?: string
}

const MAX_FACTS = 12
const MAX_VALUE = 300

export function who(by: RespondedBy): string {
  if (by.channel === 'system') return by.default ? 'the default answer (no one answered in time)' : 'Holdpoint'
  const name = escapeMarkdown(by.name ?? by.actor)
  return `${name} (${by.channel === 'api' ? 'via the API' : `on ${by.channel}`})`
}

function facts(cp: CheckpointView): CardElement | null {
  const payload = cp.payload
  if (payload === null || payload === undefined) return null
  if (typeof payload !== 'object' || Array.isArray(payload)) {
    return { type: 'TextBlock', text: escapeMarkdown(truncate(describeValue(payload), MAX_VALUE * 3)), wrap: true }
  }
  const props = isNode(cp.payloadSchema?.properties) ? cp.payloadSchema.properties : {}
  const entries = Object.entries(payload as Record<string, unknown>)
  const list = entries.slice(0, MAX_FACTS).map(([key, value]) => {
    const node = props[key]
    return { title: escapeMarkdown(truncate(labelOf(key, isNode(node) ? node : {}), 80)), value: escapeMarkdown(truncate(describeValue(value), MAX_VALUE)) }
  })
  if (entries.length > MAX_FACTS) list.push({ title: '…', value: `and ${entries.length - MAX_FACTS} more` })
  return { type: 'FactSet', facts: list }
}

export function outcomeText(cp: CheckpointView): string {
  const answer = escapeMarkdown(truncate(describeAnswer(cp.response, oneClickChoices(cp.responseSchema)), 600))
  switch (cp.state) {
    case 'resolved':
      if (cp.respondedBy?.default) return `⌛ **No answer in time.** The default was used: ${answer}`
      return `✅ **Answered by ${cp.respondedBy ? who(cp.respondedBy) : 'someone'}:** ${answer}`
    case 'expired':
      return '⌛ **Expired** without an answer.'
    case 'cancelled':
      return '🚫 **Cancelled.** No answer is needed any more.'
    case 'rejected':
      return `⛔ **Rejected:** the answer did not pass verification.${cp.verification ? ` ${escapeMarkdown(truncate(cp.verification.reason, 1000))}` : ''}`
    default:
      return `**${escapeMarkdown(cp.state)}**`
  }
}

const execute = (title: string, data: ActionData, style?: 'positive' | 'destructive'): CardElement => ({
  type: 'Action.Execute',
  title: truncate(title, 60),
  verb: VERB,
  data,
  ...(style && { style }),
})

function actions(cp: CheckpointView, opts: CardOptions, hasForm: boolean): CardElement[] {
  const out: CardElement[] = []
  const claimed = cp.claimedBy !== null
  if (opts.broadcast && !claimed) out.push(execute('Claim', { hp: 'claim', cp: cp.id }))
  const choices = oneClickChoices(cp.responseSchema)
  if (choices) {
    choices.forEach((c, i) => {
      const decision = isNode(c.response) ? Object.values(c.response)[0] : c.response
      const style = decision === true ? 'positive' : decision === false ? 'destructive' : undefined
      out.push(execute(c.label, { hp: 'answer', cp: cp.id, choice: i }, style))
    })
    // The schema has more than the decision (a note): the whole form, one tap away.
    const fields = formFields(cp.responseSchema)
    if (fields && fields.length > 1) {
      const form = { type: 'AdaptiveCard', body: formElements(fields, opts.form?.values, opts.form?.problems), actions: [execute('Submit', { hp: 'submit', cp: cp.id }, 'positive')] }
      out.push({ type: 'Action.ShowCard', title: 'Answer with a note…', card: form })
    }
  } else if (hasForm) {
    out.push(execute('Submit', { hp: 'submit', cp: cp.id }, 'positive'))
  } else if (opts.formLink) {
    out.push({ type: 'Action.OpenUrl', title: 'Open the form', url: opts.formLink })
  } else {
    out.push(execute('Answer in the dashboard…', { hp: 'open', cp: cp.id }))
  }
  if (claimed) out.push(execute('Release', { hp: 'release', cp: cp.id }))
  return out
}

export function renderCard(cp: CheckpointView, opts: CardOptions): AdaptiveCard {
  const body: CardElement[] = [{ type: 'TextBlock', text: `✋ **${escapeMarkdown(truncate(cp.task, 2000))}**`, wrap: true, size: 'Medium' }]
  const payload = facts(cp)
  if (payload) body.push(payload)
  if (opts.notice) body.push({ type: 'TextBlock', text: escapeMarkdown(opts.notice.text), wrap: true, weight: 'Bolder', color: opts.notice.tone === 'good' ? 'Good' : opts.notice.tone === 'attention' ? 'Attention' : 'Default' })
  const card: AdaptiveCard = { type: 'AdaptiveCard', $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', version: '1.4', body }
  if (isTerminal(cp.state)) {
    body.push({ type: 'TextBlock', text: outcomeText(cp), wrap: true })
    return card
  }
  // The verifier sent the last answer back: everyone sees why before answering again.
  if (cp.verification && !cp.verification.passed && cp.verification.attempts > 0) {
    body.push({ type: 'TextBlock', text: `⚠️ **The answer was sent back:** ${escapeMarkdown(truncate(cp.verification.reason, 1000))} Please answer again.`, wrap: true, color: 'Warning' })
  }
  const status = [`⏱ ${humanDuration(Date.parse(cp.expiresAt) - opts.now)} left (until ${teamsDate(cp.expiresAt)})`]
  if (cp.claimedBy) status.push(`🔒 Claimed by ${who(cp.claimedBy)}`)
  if (cp.state === 'verifying') status.push('🔎 An answer is being verified')
  body.push({ type: 'TextBlock', text: status.join('  ·  '), wrap: true, isSubtle: true, size: 'Small' })
  const fields = oneClickChoices(cp.responseSchema) ? null : formFields(cp.responseSchema)
  if (fields) body.push(...formElements(fields, opts.form?.values, opts.form?.problems))
  card.actions = actions(cp, opts, fields !== null)
  return card
}

/** A short plain-text line for notifications and clients that cannot show cards. */
export function summaryText(cp: CheckpointView): string {
  const status = isTerminal(cp.state) ? ` (${cp.state})` : cp.claimedBy ? ' (claimed)' : ''
  return truncate(`Holdpoint: ${cp.task}${status}`, 500)
}
