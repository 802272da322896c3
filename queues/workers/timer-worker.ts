import { Worker, type Job } from 'bullmq'
import { EventRefused } from '../../engine/errors.js'
import type { TimerJob } from '../../plugins/job-data.js'
import { TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { DROP_COMPLETED, workerOptions } from '../../plugins/worker-options.js'
import type { WorkerDeps } from './worker-deps.js'

/**
 * Fires deadlines. A firing is just another event through the machine: one that no longer
 * applies (answered, cancelled, deadline moved) is refused by the machine and ignored here.
 */
export function createTimerWorker(deps: WorkerDeps): Worker<TimerJob> {
  const log = deps.logger.child({ queue: TIMERS_QUEUE })
  const worker = new Worker<TimerJob>(
    TIMERS_QUEUE,
    async (job: Job<TimerJob>) => {
      const { checkpointId, timer, dueAt } = job.data
      try {
        const cp = await deps.engine.send(checkpointId, (now) => ({ type: timer, now, dueAt }))
        log.info({ checkpointId, jobId: job.id, timer, lateMs: Date.now() - dueAt, state: cp.state }, 'timer fired')
        return cp.state
      } catch (error) {
        if (error instanceof EventRefused) return 'ignored: no longer applies'
        throw error
      }
    },
    { connection: deps.connection, prefix: deps.prefix, ...workerOptions(deps.jobLockMs), ...DROP_COMPLETED, concurrency: deps.concurrency ?? 50 },
  )
  worker.on('error', (error) => log.error({ err: error }, 'timer worker error'))
  return worker
}
