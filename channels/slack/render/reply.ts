import { isTerminal } from '../../../machine/types.js'
import type { CheckpointView } from '../../../engine/checkpoint-view.js'
import { answerButtons, outcome, type Rendered, type RenderOptions } from './message.js'
import { mrkdwn, truncate } from './text.js'

/**
 * The thread reply to a free-text answer. Until the verifier can turn words into a typed
 * answer, it says a structured answer is needed and repeats the buttons.
 */
export function renderThreadReply(cp: CheckpointView, opts: RenderOptions & { userId: string; assigned: boolean }): Rendered {
  let text: string
  if (isTerminal(cp.state)) text = `<@${opts.userId}> this request is already finished. ${outcome(cp)}`
  else if (!opts.assigned) text = `<@${opts.userId}> thanks, your note is recorded, but you are not among the people who may answer this request.`
  else text = `<@${opts.userId}> thanks, your note is recorded. A free-text reply does not count as the answer yet: please give a structured answer with the buttons or the form.`
  const blocks: Rendered['blocks'] = [{ type: 'section', text: mrkdwn(text) }]
  if (!isTerminal(cp.state) && opts.assigned) blocks.push({ type: 'actions', block_id: 'hp.actions', elements: answerButtons(cp, opts.broadcast) })
  return { text: truncate(text.replace(/<@[^>]+>\s*/, ''), 3000), blocks }
}

/** A thread reply once the checkpoint is finished: the outcome, no buttons left to press. */
export function outcomeReply(cp: CheckpointView): Rendered {
  const text = outcome(cp)
  return { text: truncate(text, 3000), blocks: [{ type: 'section', text: mrkdwn(text) }] }
}
