import { sha256 } from '../engine/sha256.js'
import type { TimerName } from '../machine/types.js'

/**
 * Job ids derived from the checkpoint and the effect, so dispatching the same outbox entry
 * twice (the sweeper after a crash) adds nothing while the first job is still waiting,
 * delayed, active or failed: BullMQ ignores a job id it already holds. BullMQ forbids ':' in
 * custom ids, hence '.' separators. Ids start with `<checkpoint id>.` (the archiver finds a
 * checkpoint's jobs by it), except timers': see `timer`.
 */
const short = (value: string) => sha256(value, 'base64url').slice(0, 16)

export const jobIds = {
  deliver: (checkpointId: string, version: number, recipient: string) => `${checkpointId}.d${version}.${short(recipient)}`,
  update: (checkpointId: string, version: number, recipient: string) => `${checkpointId}.u${version}.${short(recipient)}`,
  remind: (checkpointId: string, version: number, recipient: string) => `${checkpointId}.r${version}.${short(recipient)}`,
  verify: (checkpointId: string, attempt: number) => `${checkpointId}.v${attempt}`,
  /**
   * A pending deadline is kept for days, and BullMQ stores its id in the job's options: a
   * short id keeps every field of the job hash within Redis's compact encoding (values of at
   * most 64 bytes by default; about 280 bytes a job instead of 690). The job's data and name
   * say which checkpoint and timer it is (plugins/job-data.ts).
   */
  timer: (checkpointId: string, timer: TimerName, at: number) => `t${short(`${checkpointId}|${timer}|${at}`)}`,
  resume: (checkpointId: string) => `${checkpointId}.resume`,
}
