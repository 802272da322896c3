import type { TerminalState, TimerName } from '../machine/types.js'

/** Payloads of internal jobs: ids and names only, never the checkpoint's contents. */
export interface DeliverJob {
  checkpointId: string
  recipient: string
}

/**
 * A pending deadline, kept for days: the checkpoint and the due time under short keys, the
 * timer as the job's name (`timeout`, `escalate`, `remind`), so that the job hash stays in
 * Redis's compact encoding (queues/job-ids.ts).
 */
export interface TimerJob {
  id: string
  at: number
}

/** What timer jobs added by earlier versions carry (their name is the timer's full name). */
export interface LegacyTimerJob {
  checkpointId: string
  timer: TimerName
  dueAt: number
}

const TIMERS: readonly TimerName[] = ['checkpoint.timeout', 'checkpoint.escalate', 'checkpoint.remind']

/** A timer job's name: the timer without its `checkpoint.` prefix. */
export const timerJobName = (timer: TimerName): string => timer.slice('checkpoint.'.length)

/** The timer a job name stands for, or null. */
export function timerOfJobName(name: string): TimerName | null {
  return TIMERS.find((timer) => timerJobName(timer) === name) ?? null
}

export interface ResumeJob {
  checkpointId: string
  state: TerminalState
  /** An operator's forced re-drive: resume again although the audit records a resume. */
  force?: true
  /** Attempts made before the job was queued (the committing process's inline first attempt). */
  prior?: number
}

export interface VerifyJob {
  checkpointId: string
  /** Which verification attempt this is; a verdict for an older attempt is ignored. */
  attempt: number
}
