import type { CheckpointView } from '../../../engine/checkpoint-view.js'
import { ACTION, confirmActionId } from '../action-ids.js'
import { answerButtons, type Rendered } from './message.js'
import { responseSummary } from './payload-summary.js'
import { escapeMrkdwn, mrkdwn, plain, truncate } from './text.js'

/**
 * The thread reply that shows a typed answer read from someone's words. It counts only when
 * they press Confirm; Edit opens the ordinary form.
 */
export function renderProposal(cp: CheckpointView, opts: { userId: string; proposalId: string; answer: unknown; reading: string }): Rendered {
  const text = `<@${opts.userId}> I read your reply as: ${responseSummary(opts.answer)}`
  return {
    text: truncate(`I read your reply as: ${responseSummary(opts.answer)}. Confirm to submit it.`, 3000),
    blocks: [
      { type: 'section', text: mrkdwn(text) },
      { type: 'context', elements: [mrkdwn(`_${escapeMrkdwn(truncate(opts.reading, 500))}_ Nothing is submitted until you confirm.`)] },
      {
        type: 'actions',
        block_id: 'hp.proposal',
        elements: [
          { type: 'button', action_id: confirmActionId(opts.proposalId), value: cp.id, style: 'primary', text: plain('Confirm', 75) },
          { type: 'button', action_id: ACTION.open, value: cp.id, text: plain('Edit…', 75) },
        ],
      },
    ],
  }
}

/** The thread reply when the words did not give a complete answer: why, and the usual buttons. */
export function renderUnreadable(cp: CheckpointView, opts: { userId: string; reading: string; broadcast: boolean }): Rendered {
  const text = `<@${opts.userId}> I could not read a complete answer from that: ${escapeMrkdwn(truncate(opts.reading, 500))} Please answer with the buttons or the form.`
  return {
    text: truncate(text.replace(/<@[^>]+>\s*/, ''), 3000),
    blocks: [
      { type: 'section', text: mrkdwn(text) },
      { type: 'actions', block_id: 'hp.actions', elements: answerButtons(cp, opts.broadcast) },
    ],
  }
}
