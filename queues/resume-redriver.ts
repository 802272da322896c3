import type { CheckpointStore, LoadedCheckpoint } from '../engine/checkpoint-store.js'
import type { TerminalState } from '../machine/types.js'
import type { ResumeJob } from '../plugins/job-data.js'
import { jobIds } from './job-ids.js'
import { RESUME_QUEUE } from '../plugins/queue-names.js'
import type { QueueSet } from './queue-set.js'
import { wasResumed } from './resume-record.js'
import { RESUME_JOB } from './retry-policy.js'

export type RedriveOutcome = 'retried' | 'queued' | 'already-queued' | 'already-resumed'

/**
 * An operator's second chance for a resume that gave up (or was lost to retention): retries
 * the failed job, or queues it again under the same job id, so the `webhook-id` is unchanged.
 * Completed resume jobs are not kept, so whether the agent was resumed is read from the audit.
 */
export class ResumeRedriver {
  constructor(
    private readonly queues: QueueSet,
    private readonly store: Pick<CheckpointStore, 'auditKinds'>,
  ) {}

  async redrive(cp: LoadedCheckpoint, force: boolean): Promise<RedriveOutcome> {
    const queue = this.queues.forCheckpoint(RESUME_QUEUE, cp.id)
    const jobId = jobIds.resume(cp.id)
    const job = await queue.getJob(jobId)
    if (job) {
      const state = await job.getState()
      if (state === 'failed') {
        await job.retry('failed', { resetAttemptsMade: true })
        return 'retried'
      }
      if (state !== 'completed') return 'already-queued'
    }
    if (!force && (await wasResumed(this.store, cp.id))) return 'already-resumed'
    // A completed job kept by an earlier version would make BullMQ ignore the new one.
    if (job) await job.remove()
    const data: ResumeJob = { checkpointId: cp.id, state: cp.state as TerminalState, ...(force && { force: true as const }) }
    await queue.add(cp.state, data, { ...RESUME_JOB, jobId })
    return 'queued'
  }
}
