import { UnrecoverableError, Worker, type Job } from 'bullmq'
import { toView, type CheckpointView } from '../../engine/checkpoint-view.js'
import { IdempotencyConflict } from '../../engine/errors.js'
import { ValidationFailed } from '../../engine/problems.js'
import { validateCreate } from '../../engine/validate-create.js'
import { INTAKE_QUEUE } from '../../plugins/queue-names.js'
import { lockSettings, queueAt, type WorkerDeps } from './worker-deps.js'

/** Agents' token name for checkpoints created through the queue, in the audit. */
export const INTAKE_PRINCIPAL = 'intake-queue'

/**
 * The intake queue: `queue.add('create', body, { jobId })` creates a checkpoint exactly like
 * `POST /v1/checkpoints`, with the job id as idempotency key. Invalid bodies fail without
 * retries, with the same messages a 422 would carry.
 */
export function createIntakeWorker(deps: WorkerDeps): Worker<unknown, CheckpointView> {
  const log = deps.logger.child({ queue: INTAKE_QUEUE })
  const worker = new Worker<unknown, CheckpointView>(
    INTAKE_QUEUE,
    async (job: Job<unknown, CheckpointView>) => {
      try {
        const spec = await validateCreate(job.data, deps.capabilities)
        // A custom job id is the producer's idempotency key; BullMQ's own counters are not.
        const key = spec.idempotencyKey ?? (job.opts.jobId !== undefined ? `job:${job.opts.jobId}` : undefined)
        const { checkpoint, replayed } = await deps.engine.create({ ...spec, ...(key !== undefined && { idempotencyKey: key }) }, INTAKE_PRINCIPAL)
        log.info({ checkpointId: checkpoint.id, jobId: job.id, replayed }, 'checkpoint created from intake queue')
        return toView(checkpoint, deps.publicUrl)
      } catch (error) {
        // What a retry cannot change (a bad body, a group nobody is in, a reused key) fails now.
        if (error instanceof ValidationFailed) {
          throw new UnrecoverableError(`${error.message} ${error.problems.map((p) => `${p.path || '/'}: ${p.message}`).join('; ')}`)
        }
        if (error instanceof IdempotencyConflict) throw new UnrecoverableError(error.message)
        throw error
      }
    },
    { ...queueAt(deps, INTAKE_QUEUE), ...lockSettings(deps), concurrency: deps.concurrency ?? 20 },
  )
  worker.on('error', (error) => log.error({ err: error }, 'intake worker error'))
  return worker
}
