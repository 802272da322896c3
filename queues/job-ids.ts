import { createHash } from 'node:crypto'

/**
 * Job ids derived from the checkpoint and the effect, so dispatching the same outbox entry
 * twice (the sweeper after a crash) adds nothing: BullMQ ignores a job id it already holds.
 * BullMQ forbids ':' in custom ids, hence '.' separators.
 */
const short = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 16)

export const jobIds = {
  deliver: (checkpointId: string, version: number, recipient: string) => `${checkpointId}.d${version}.${short(recipient)}`,
  update: (checkpointId: string, version: number, recipient: string) => `${checkpointId}.u${version}.${short(recipient)}`,
  remind: (checkpointId: string, version: number, recipient: string) => `${checkpointId}.r${version}.${short(recipient)}`,
  verify: (checkpointId: string, attempt: number) => `${checkpointId}.v${attempt}`,
  timer: (checkpointId: string, timer: string, at: number) => `${checkpointId}.t.${timer}.${at}`,
  resume: (checkpointId: string) => `${checkpointId}.resume`,
}
