import type { types } from '@slack/bolt'
import type { CheckpointView } from '../../../engine/checkpoint-view.js'
import { isTerminal } from '../../../machine/types.js'
import { approvalAnswer } from '../../common/answer-choices.js'
import { ACTION } from '../action-ids.js'
import { answerButtons, outcome, who, type RenderOptions, type Rendered } from './message.js'
import { payloadLines } from './payload-summary.js'
import { escapeMrkdwnWithin, humanDuration, mrkdwn, plain, slackDate } from './text.js'

type Block = types.KnownBlock

/**
 * Slack allows 50 blocks a message; each item takes two (its section, its buttons) and the
 * batch four (header, count, divider, Approve all). Larger batches go as several messages.
 */
export const MAX_BATCH_ITEMS = 20

/** Section text is capped at 3000 characters; the task and payload share one section. */
const TASK_MAX = 1200
const PAYLOAD_MAX = 700

/** Whole payload lines only, so a cut never splits an escaped `&lt;`. */
function payloadWithin(cp: CheckpointView): string {
  const kept: string[] = []
  let used = 0
  for (const line of payloadLines(cp.payload, cp.payloadSchema)) {
    if (used + line.length + 1 > PAYLOAD_MAX) {
      kept.push('_…more in the dashboard_')
      break
    }
    kept.push(line)
    used += line.length + 1
  }
  return kept.join('\n')
}

function itemSection(cp: CheckpointView, opts: RenderOptions): Block[] {
  const lines = [`*${escapeMrkdwnWithin(cp.task, TASK_MAX)}*`]
  const payload = payloadWithin(cp)
  if (payload) lines.push(payload)
  if (isTerminal(cp.state)) return [{ type: 'section', text: mrkdwn([...lines, outcome(cp)].join('\n')) }]
  const status = [`:stopwatch: ${humanDuration(Date.parse(cp.expiresAt) - opts.now)} left (until ${slackDate(cp.expiresAt)})`]
  if (cp.claimedBy) status.push(`:lock: Claimed by ${who(cp.claimedBy)}`)
  if (cp.verification && !cp.verification.passed) status.push(':warning: The answer was sent back; please answer again.')
  lines.push(`_${status.join('   ·   ')}_`)
  return [
    { type: 'section', text: mrkdwn(lines.join('\n')) },
    // Block ids must be unique within a message; the buttons are the single message's own.
    { type: 'actions', block_id: `hp.actions.${cp.id}`, elements: answerButtons(cp, opts.broadcast) },
  ]
}

/**
 * A batch as one Slack message: its title and count, then each member with the buttons its
 * own message would have (same action ids, so a click answers that item as it always did),
 * and "Approve all" while some open member has a plain approve answer.
 */
export function renderBatchMessage(batch: { id: string; title: string }, items: CheckpointView[], opts: RenderOptions): Rendered {
  const open = items.filter((cp) => !isTerminal(cp.state))
  // The title is the agent's words: plain text in the header cannot mention or link anyone.
  const blocks: Block[] = [
    { type: 'header', text: plain(batch.title.replace(/\s+/g, ' ').trim() || 'Batch', 150) },
    { type: 'context', elements: [mrkdwn(`:raised_hand: ${items.length} requests in one batch, ${open.length} open`)] },
  ]
  for (const cp of items) blocks.push({ type: 'divider' }, ...itemSection(cp, opts))
  if (open.some((cp) => approvalAnswer(cp.responseSchema) !== null)) {
    blocks.push({ type: 'divider' })
    blocks.push({
      type: 'actions',
      block_id: 'hp.batch',
      elements: [
        {
          type: 'button',
          action_id: ACTION.approveAll,
          value: batch.id,
          style: 'primary',
          text: plain('Approve all', 75),
          confirm: {
            title: plain('Approve all?', 100),
            text: plain('Records the approval for every open request here that you may answer with one click. The others stay open.', 300),
            confirm: plain('Approve all', 30),
            deny: plain('Cancel', 30),
          },
        },
      ],
    })
  }
  const done = open.length === 0 ? ' (all decided)' : ''
  return { text: `Holdpoint: ${escapeMrkdwnWithin(batch.title, 2900)} (${items.length} requests)${done}`, blocks }
}
