import type { TerminalState, TimerName } from '../machine/types.js'

/** Payloads of internal jobs: ids and names only, never the checkpoint's contents. */
export interface DeliverJob {
  checkpointId: string
  recipient: string
}

export interface TimerJob {
  checkpointId: string
  timer: TimerName
  dueAt: number
}

export interface ResumeJob {
  checkpointId: string
  state: TerminalState
  /** An operator's forced re-drive: resume again although the audit records a resume. */
  force?: true
}

export interface VerifyJob {
  checkpointId: string
  /** Which verification attempt this is; a verdict for an older attempt is ignored. */
  attempt: number
}
