import type { Engine } from '../../engine/engine.js'
import { describeRefusal } from '../../engine/errors.js'
import { isTerminal } from '../../machine/types.js'
import { approvalAnswer } from '../common/answer-choices.js'
import { withAssignedSpelling } from './membership.js'
import type { MessageRefs } from './message-refs.js'
import { isBroadcast } from './recipients.js'
import { escapeMrkdwnWithin } from './render/text.js'
import type { SlackPeople } from './slack-people.js'

export interface ApproveAllDeps {
  engine: Engine
  people: SlackPeople
  refs: MessageRefs
}

export interface ApproveAllClick {
  batchId: string
  user: { id: string; name?: string }
  channel: string | null
  messageTs: string | null
}

export interface ApproveAllResult {
  /** For the job's return value (never request contents). */
  summary: string
  /** What to tell the clicker privately, and the member id the ephemeral job is filed under. */
  tell: { checkpointId: string; text: string } | null
}

/** A commit that lost a race is tried again a few times before that item is reported busy. */
const BUSY_TRIES = 3

/**
 * "Approve all" on a batch message: for each member of that message (read from our own ref,
 * never from what Slack echoes), the approval answer through Engine.answer, so each item is
 * checked, routed and audited exactly as if its own Approve button had been clicked. Members
 * that are finished are skipped (a retried job does not answer twice); the rest that cannot
 * take the approval (a form, a claim, not assigned) are named back to the clicker.
 */
export async function approveAll(deps: ApproveAllDeps, click: ApproveAllClick): Promise<ApproveAllResult> {
  if (!click.channel || !click.messageTs) return { summary: 'no message', tell: null }
  const owner = await deps.refs.threadOwner(click.channel, click.messageTs)
  if (!owner?.batch || owner.batch.id !== click.batchId) return { summary: 'not a batch message', tell: null }
  // Acting on a broadcast shows the clicker is in that channel, as for a single button.
  const found = await deps.people.actorFor(click.user.id, click.user.name, isBroadcast(owner.recipient) ? [owner.recipient] : [])
  let recorded = 0
  const refused: string[] = []
  for (const id of owner.batch.members) {
    const cp = await deps.engine.get(id)
    if (!cp || isTerminal(cp.state)) continue
    const name = escapeMrkdwnWithin(cp.request.task, 80)
    const approval = approvalAnswer(cp.request.responseSchema)
    if (!approval) {
      refused.push(`• ${name}: needs more than one click; answer it on its own.`)
      continue
    }
    const by = withAssignedSpelling(found, cp.persisted.context.assignTo)
    let outcome = await deps.engine.answer({ id, by, response: approval.response, via: 'slack.approve-all', data: { batch: click.batchId }, loaded: cp })
    for (let tries = 1; outcome.status === 'busy' && tries < BUSY_TRIES; tries++) {
      outcome = await deps.engine.answer({ id, by, response: approval.response, via: 'slack.approve-all', data: { batch: click.batchId } })
    }
    switch (outcome.status) {
      case 'recorded':
        recorded++
        break
      case 'not_found':
      case 'finished':
        break
      case 'busy':
        // Not retried as a job: that would audit the other items' refusals a second time.
        refused.push(`• ${name}: it was changing meanwhile; try again.`)
        break
      case 'invalid':
        refused.push(`• ${name}: the approval does not fit what it asks for.`)
        break
      case 'refused':
        refused.push(`• ${name}: ${describeRefusal(outcome.refusal)}`)
        break
    }
  }
  const head = `Approve all: ${recorded} ${recorded === 1 ? 'approval' : 'approvals'} recorded.`
  const text = refused.length === 0 ? head : [head, `Not approved (${refused.length}):`, ...refused].join('\n')
  return { summary: `approved ${recorded}, refused ${refused.length}`, tell: { checkpointId: owner.checkpointId, text } }
}
