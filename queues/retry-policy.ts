import type { JobsOptions } from 'bullmq'

/**
 * Retry policies, declared once so every default is written down.
 * Resume: capped exponential backoff (5 s doubling to 1 h) for 40 attempts ≈ 31 hours,
 * comfortably past the one day the contract promises.
 */
export const RESUME_BACKOFF = { type: 'holdpoint-resume' } as const
export const RESUME_ATTEMPTS = 40
export const RESUME_FIRST_DELAY_MS = 5_000
const RESUME_MAX_DELAY_MS = 60 * 60 * 1000

/** Delay before retry number `attemptsMade`; `firstDelayMs` is shortened only in tests. */
export function resumeBackoffMs(attemptsMade: number, firstDelayMs = RESUME_FIRST_DELAY_MS): number {
  const base = Math.min(RESUME_MAX_DELAY_MS, firstDelayMs * 2 ** Math.max(0, attemptsMade - 1))
  // ±10% jitter so a receiver that comes back is not hit by every checkpoint at once.
  return Math.round(base * (0.9 + Math.random() * 0.2))
}

/** The first retry of a delivery, also after a failed inline first attempt. */
export const DELIVERY_FIRST_RETRY_MS = 2_000
export const DELIVERY_JOB: JobsOptions = { attempts: 8, backoff: { type: 'exponential', delay: DELIVERY_FIRST_RETRY_MS } }
/**
 * Timers retry in their worker (moved back to delayed, spending no BullMQ attempt), so a
 * pending deadline stores no attempts or backoff: 1 s doubling to 5 min, failing for good
 * after 20 starts (about an hour), when an operator can retry it from Bull Board.
 */
export const TIMER_MAX_STARTS = 20
export function timerRetryDelayMs(started: number): number {
  return Math.min(5 * 60_000, 1_000 * 2 ** Math.max(0, started - 1))
}
export const RESUME_JOB: JobsOptions = { attempts: RESUME_ATTEMPTS, backoff: RESUME_BACKOFF }
/** Verification: provider outages and 429s retry with backoff and never count as an attempt. */
export const VERIFY_JOB: JobsOptions = { attempts: 12, backoff: { type: 'exponential', delay: 2_000 } }
