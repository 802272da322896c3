import { UnrecoverableError, Worker, type Job } from 'bullmq'
import type { ResumeJob } from '../../plugins/job-data.js'
import { RESUME_QUEUE } from '../../plugins/queue-names.js'
import { attemptResume } from '../attempts/resume-attempt.js'
import { FinalFailure } from '../attempts/final-failure.js'
import { RESUME_BACKOFF, resumeBackoffMs } from '../retry-policy.js'
import { DROP_COMPLETED, workerOptions } from '../../plugins/worker-options.js'
import { queueAt, type WorkerDeps } from './worker-deps.js'

/**
 * Wakes the agent through its resume target, retrying with backoff for over a day. Success,
 * a refusal (410) and the final failure are each audited; a failed job stays in the failed
 * set, where an operator can re-drive it (API or Bull Board). A completed job is not kept, so
 * a resume already in the audit is not sent again unless an operator forces it.
 */
/** `queue`: the resume queue, or one of its sub-queues on a Cluster. */
export function createResumeWorker(deps: WorkerDeps, queue: string = RESUME_QUEUE): Worker<ResumeJob> {
  const { engine } = deps
  const log = deps.logger.child({ queue })

  async function processJob(job: Job<ResumeJob>): Promise<string> {
    const { checkpointId, force, prior } = job.data
    try {
      // `prior`: attempts made before this job existed (the committing process's inline one).
      const outcome = await attemptResume(deps, { checkpointId, attempt: (prior ?? 0) + job.attemptsMade + 1, force: force === true })
      if (outcome === 'resumed') log.info({ checkpointId, jobId: job.id, attempt: (prior ?? 0) + job.attemptsMade + 1 }, 'agent resumed')
      return outcome
    } catch (error) {
      if (error instanceof FinalFailure) throw new UnrecoverableError(error.message)
      throw error
    }
  }

  const worker = new Worker<ResumeJob>(queue, processJob, {
    ...queueAt(deps, queue),
    ...workerOptions(deps.jobLockMs),
    ...DROP_COMPLETED,
    concurrency: deps.concurrency ?? 20,
    settings: {
      backoffStrategy: (attemptsMade: number, type?: string) =>
        type === RESUME_BACKOFF.type ? resumeBackoffMs(attemptsMade, deps.resumeFirstDelayMs) : 1000,
    },
  })
  worker.on('failed', (job, error) => {
    if (!job) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1)
    log.warn({ checkpointId: job.data.checkpointId, jobId: job.id, attempt: job.attemptsMade, final, err: error.message }, 'resume attempt failed')
    if (final && !(error instanceof UnrecoverableError)) {
      void engine
        .note(job.data.checkpointId, {
          kind: 'resume.failed',
          actor: { channel: 'system', actor: 'resume' },
          data: { final: true, attempts: (job.data.prior ?? 0) + job.attemptsMade, reason: error.message, redrive: `POST /v1/checkpoints/${job.data.checkpointId}/resume` },
        })
        .catch((e: unknown) => log.error({ err: e, checkpointId: job.data.checkpointId }, 'could not audit a failed resume'))
    }
  })
  worker.on('error', (error) => log.error({ err: error }, 'resume worker error'))
  return worker
}
