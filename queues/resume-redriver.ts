import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'
import type { TerminalState } from '../machine/types.js'
import type { ResumeJob } from '../plugins/job-data.js'
import { jobIds } from './job-ids.js'
import { RESUME_QUEUE } from '../plugins/queue-names.js'
import type { QueueSet } from './queue-set.js'
import { RESUME_JOB } from './retry-policy.js'

export type RedriveOutcome = 'retried' | 'queued' | 'already-queued' | 'already-resumed'

/**
 * An operator's second chance for a resume that gave up (or was lost to retention): retries
 * the failed job, or queues it again under the same job id, so the `webhook-id` is unchanged.
 */
export class ResumeRedriver {
  constructor(private readonly queues: QueueSet) {}

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
      if (!force) return 'already-resumed'
      await job.remove()
    }
    const data: ResumeJob = { checkpointId: cp.id, state: cp.state as TerminalState }
    await queue.add(cp.state, data, { ...RESUME_JOB, jobId })
    return 'queued'
  }
}
