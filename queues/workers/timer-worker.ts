import { Worker, type Job } from 'bullmq'
import { EventRefused } from '../../engine/errors.js'
import type { TimerJob } from '../../plugins/job-data.js'
import { TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { lockSettings, queueAt, type WorkerDeps } from './worker-deps.js'

/**
 * Fires deadlines. A firing is just another event through the machine: one that no longer
 * applies (answered, cancelled, deadline moved) is refused by the machine and ignored here.
 */
/** `queue`: the timers queue, or one of its sub-queues on a Cluster. */
export function createTimerWorker(deps: WorkerDeps, queue: string = TIMERS_QUEUE): Worker<TimerJob> {
  const log = deps.logger.child({ queue })
  const worker = new Worker<TimerJob>(
    queue,
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
    { ...queueAt(deps, queue), ...lockSettings(deps), concurrency: deps.concurrency ?? 50 },
  )
  worker.on('error', (error) => log.error({ err: error }, 'timer worker error'))
  return worker
}
