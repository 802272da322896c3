import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import { CheckpointNotFound, EventRefused } from '../../engine/errors.js'
import type { TimerName } from '../../machine/types.js'
import { timerOfJobName, type LegacyTimerJob, type TimerJob } from '../../plugins/job-data.js'
import { TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { DROP_COMPLETED, workerOptions } from '../../plugins/worker-options.js'
import { TIMER_MAX_STARTS, timerRetryDelayMs } from '../retry-policy.js'
import { queueAt, type WorkerDeps } from './worker-deps.js'

interface Firing {
  checkpointId: string
  timer: TimerName
  dueAt: number
}

/** What a timer job is about; jobs added by earlier versions say it in their data alone. */
function firingOf(job: Job<TimerJob | LegacyTimerJob>): Firing | null {
  const data = job.data
  if ('checkpointId' in data) return { checkpointId: data.checkpointId, timer: data.timer, dueAt: data.dueAt }
  const timer = timerOfJobName(job.name)
  if (!timer || typeof data.id !== 'string' || typeof data.at !== 'number') return null
  return { checkpointId: data.id, timer, dueAt: data.at }
}

/**
 * Fires deadlines. A firing is just another event through the machine: one that no longer
 * applies (answered, cancelled, deadline moved) is refused by the machine and ignored here.
 */
/** `queue`: the timers queue, or one of its sub-queues on a Cluster. */
export function createTimerWorker(deps: WorkerDeps, queue: string = TIMERS_QUEUE): Worker<TimerJob | LegacyTimerJob> {
  const log = deps.logger.child({ queue })
  const worker = new Worker<TimerJob | LegacyTimerJob>(
    queue,
    async (job, token) => {
      const firing = firingOf(job)
      if (!firing) throw new UnrecoverableError(`job ${job.id ?? '?'} names no timer`)
      const { checkpointId, timer, dueAt } = firing
      try {
        const cp = await deps.engine.send(checkpointId, (now) => ({ type: timer, now, dueAt }))
        log.info({ checkpointId, jobId: job.id, timer, lateMs: Date.now() - dueAt, state: cp.state }, 'timer fired')
        return cp.state
      } catch (error) {
        if (error instanceof EventRefused) return 'ignored: no longer applies'
        if (error instanceof CheckpointNotFound) return 'checkpoint gone'
        // Retried here rather than by BullMQ, so that no pending deadline stores a retry policy.
        if (job.attemptsStarted >= TIMER_MAX_STARTS || !token) throw error
        log.warn({ checkpointId, jobId: job.id, timer, started: job.attemptsStarted, err: (error as Error).message }, 'timer failed; retrying')
        await job.moveToDelayed(Date.now() + timerRetryDelayMs(job.attemptsStarted), token)
        throw new DelayedError()
      }
    },
    { ...queueAt(deps, queue), ...workerOptions(deps.jobLockMs), ...DROP_COMPLETED, concurrency: deps.concurrency ?? 50 },
  )
  worker.on('error', (error) => log.error({ err: error }, 'timer worker error'))
  return worker
}
