import type { types } from '@slack/bolt'
import type { CheckpointView } from '../../../engine/checkpoint-view.js'
import type { RespondedBy } from '../../../machine/types.js'
import { isTerminal } from '../../../machine/types.js'
import { ACTION, answerActionId } from '../action-ids.js'
import { formFields } from '../../common/form-fields.js'
import { hasMoreThanChoices, oneClickChoices } from '../answers/one-click.js'
import { payloadLines, responseSummary } from './payload-summary.js'
import { escapeMrkdwn, escapeMrkdwnWithin, humanDuration, mrkdwn, plain, slackDate, truncate } from './text.js'

type Block = types.KnownBlock
type Button = types.Button

export interface Rendered {
  text: string
  blocks: Block[]
}

export interface RenderOptions {
  /** A channel broadcast: anyone assigned may claim; a direct message has no Claim button. */
  broadcast: boolean
  now: number
}

export function who(by: RespondedBy): string {
  if (by.channel === 'slack') return `<@${by.actor}>`
  const name = escapeMrkdwn(by.name ?? by.actor)
  if (by.channel === 'system') return by.default ? 'the default answer (no one answered in time)' : 'Holdpoint'
  return `${name} (${by.channel === 'api' ? 'via the API' : `on ${by.channel}`})`
}

export function outcome(cp: CheckpointView): string {
  switch (cp.state) {
    case 'resolved': {
      if (cp.respondedBy?.default) return `:hourglass: *No answer in time.* The default was used: ${responseSummary(cp.response)}`
      const by = cp.respondedBy ? who(cp.respondedBy) : 'someone'
      return `:white_check_mark: *Answered by ${by}:* ${responseSummary(cp.response)}`
    }
    case 'expired':
      return ':hourglass: *Expired* without an answer.'
    case 'cancelled':
      return ':no_entry_sign: *Cancelled.* No answer is needed any more.'
    case 'rejected':
      return `:no_entry: *Rejected:* the answer did not pass verification.${cp.verification ? ` ${escapeMrkdwn(truncate(cp.verification.reason, 1000))}` : ''}`
    default:
      return `*${cp.state}*`
  }
}

/** The buttons for an open checkpoint: claim or release, one-click answers, the form. */
export function answerButtons(cp: CheckpointView, broadcast: boolean): Button[] {
  const buttons: Button[] = []
  const claimed = cp.claimedBy !== null
  if (broadcast && !claimed) buttons.push({ type: 'button', action_id: ACTION.claim, value: cp.id, text: plain('Claim', 75) })
  const choices = oneClickChoices(cp.responseSchema)
  choices.forEach((choice, i) => {
    buttons.push({ type: 'button', action_id: answerActionId(i), value: cp.id, text: plain(choice.label, 75), ...(choice.style && { style: choice.style }) })
  })
  const form = formFields(cp.responseSchema)
  if (choices.length === 0 || hasMoreThanChoices(cp.responseSchema)) {
    const label = form === null ? 'Open the form' : choices.length > 0 ? 'Answer with a note…' : 'Answer…'
    buttons.push({ type: 'button', action_id: ACTION.open, value: cp.id, text: plain(label, 75), ...(choices.length === 0 && { style: 'primary' as const }) })
  }
  if (claimed) buttons.push({ type: 'button', action_id: ACTION.release, value: cp.id, text: plain('Release', 75) })
  return buttons.slice(0, 25)
}

/**
 * The checkpoint as a Slack message, for every state: open with buttons, claimed (who owns
 * it, for everyone), and finished (outcome and who decided, no buttons).
 */
export function renderMessage(cp: CheckpointView, opts: RenderOptions): Rendered {
  // The agent's words are escaped everywhere they appear, the notification `text` included
  // (Slack parses it as mrkdwn too: `<!channel>` would ping a whole channel).
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(`:raised_hand: *${escapeMrkdwnWithin(cp.task, 2900)}*`) }]
  const lines = payloadLines(cp.payload, cp.payloadSchema)
  if (lines.length > 0) blocks.push({ type: 'section', text: mrkdwn(lines.join('\n')) })
  const terminal = isTerminal(cp.state)
  if (terminal) {
    blocks.push({ type: 'section', text: mrkdwn(outcome(cp)) })
  } else {
    // The verifier sent the last answer back: everyone sees why before answering again.
    if (cp.verification && !cp.verification.passed) {
      blocks.push({ type: 'section', text: mrkdwn(`:warning: *The answer was sent back:* ${escapeMrkdwn(truncate(cp.verification.reason, 1000))} Please answer again.`) })
    }
    const left = Date.parse(cp.expiresAt) - opts.now
    const context = [`:stopwatch: ${humanDuration(left)} left (until ${slackDate(cp.expiresAt)})`]
    if (cp.claimedBy) context.push(`:lock: Claimed by ${who(cp.claimedBy)}`)
    blocks.push({ type: 'context', elements: [mrkdwn(context.join('   ·   '))] })
    blocks.push({ type: 'actions', block_id: `hp.actions`, elements: answerButtons(cp, opts.broadcast) })
  }
  const status = terminal ? ` (${cp.state})` : cp.claimedBy ? ' (claimed)' : ''
  return { text: `Holdpoint: ${escapeMrkdwnWithin(cp.task, 2900)}${status}`, blocks }
}
