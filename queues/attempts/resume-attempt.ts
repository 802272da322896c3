import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { ResumeRejected } from '../../plugins/resume-target.js'
import { resumeEventOf, resumeMessageId } from '../../resume/resume-event.js'
import { wasResumed } from '../resume-record.js'
import { resumeTargetOf } from '../../engine/stored-request.js'
import type { AttemptDeps } from './attempt-deps.js'
import { FinalFailure } from './final-failure.js'

export interface ResumeOrder {
  checkpointId: string
  /** Which attempt this is, counted from the first (inline or queued), for the audit. */
  attempt: number
  /** An operator's re-drive: resume again although the audit records a resume. */
  force?: boolean
  /**
   * Made by the process whose commit just finished the checkpoint: that commit is the one
   * terminal step, so no resume can be in the audit yet and it is not read.
   */
  fresh?: boolean
}

/**
 * One attempt to wake the agent through its resume target. Success is audited; a refusal
 * (410) is audited as final and becomes a FinalFailure; other errors propagate for a retry.
 */
export async function attemptResume(deps: AttemptDeps, order: ResumeOrder, loaded?: LoadedCheckpoint): Promise<string> {
  const { engine } = deps
  const cp = loaded ?? (await engine.get(order.checkpointId))
  if (!cp) return 'checkpoint gone'
  const spec = cp.request.resume
  if (!spec) return 'no resume target'
  const targetName = resumeTargetOf(cp.request)
  const target = deps.resumeTargets.get(targetName)
  if (!target) throw new FinalFailure(`resume target ${targetName} is not enabled`)
  if (!order.force && !order.fresh && (await wasResumed(engine.store, cp.id))) return 'already resumed'
  const messageId = resumeMessageId(cp.id)
  const actor = { channel: 'system', actor: targetName }
  try {
    const { detail } = await target.resume(resumeEventOf(cp), spec, { messageId })
    await engine.note(cp.id, { kind: 'resumed', actor, data: { target: targetName, messageId, attempt: order.attempt, ...detail } }, cp)
    return 'resumed'
  } catch (error) {
    if (error instanceof ResumeRejected) {
      await engine.note(cp.id, { kind: 'resume.failed', actor, data: { target: targetName, messageId, final: true, reason: error.message, ...error.detail } }, cp)
      throw new FinalFailure(error.message)
    }
    throw error
  }
}
