import type { WorkerOptions } from 'bullmq'

/**
 * How long an idle worker blocks on its queue's wake-up marker (BullMQ's `drainDelay`, in
 * seconds; BullMQ's default is 5). Adding a job, promoting a delayed one or retrying one
 * writes the marker, which ends the block at once, so this only sets how often an idle queue
 * is polled anyway: a BZPOPMIN and a moveToActive script of seven commands each time. A queue
 * with delayed jobs (pending deadlines) is still polled every 10 s, BullMQ's ceiling.
 */
export const IDLE_BLOCK_SECONDS = 30

/** Failed jobs stay two weeks: Bull Board and `POST …/resume` re-drive them under the same id. */
const KEEP_FAILED_SECONDS = 14 * 24 * 60 * 60

export type SharedWorkerOptions = Pick<WorkerOptions, 'lockDuration' | 'stalledInterval' | 'maxStalledCount' | 'drainDelay'>

/**
 * Settings every Holdpoint worker shares. Stalled-job detection follows the lock
 * (HOLDPOINT_JOB_LOCK_MS): a killed worker's job is retried within about two locks.
 */
export function workerOptions(jobLockMs: number): SharedWorkerOptions {
  return { lockDuration: jobLockMs, stalledInterval: jobLockMs, maxStalledCount: 5, drainDelay: IDLE_BLOCK_SECONDS }
}

/**
 * For the workers of Holdpoint's internal queues (timers, resume, deliveries, verify): a
 * completed job is removed in the same script that completes it, and failed ones stay for
 * re-driving. Set on the worker, not on each job, so no job carries them in its stored options.
 *
 * A job id therefore dedupes only while its job is waiting, delayed, active or failed; a
 * dispatch repeated after the job completed (the sweeper, after a crash between adding the
 * jobs and clearing the outbox entry) runs the handler again, and every handler is idempotent:
 * the machine refuses a second `delivered` and stale timers, channels mark what they sent, the
 * verify worker ignores an attempt that moved on, and the resume worker checks the audit.
 */
export const DROP_COMPLETED: Pick<WorkerOptions, 'removeOnComplete' | 'removeOnFail'> = {
  // Keep none: the completing script deletes the job's keys.
  removeOnComplete: { count: 0 },
  removeOnFail: { age: KEEP_FAILED_SECONDS },
}

/** For a queue whose job ids also dedupe what arrives from outside (a provider's retries): completed jobs stay `seconds`. */
export function keepCompleted(seconds: number): Pick<WorkerOptions, 'removeOnComplete' | 'removeOnFail'> {
  return { removeOnComplete: { age: seconds }, removeOnFail: { age: KEEP_FAILED_SECONDS } }
}
