import { randomBytes } from 'node:crypto'

/**
 * Checkpoint ids sort by creation time as plain strings (base36 milliseconds, fixed width),
 * which lets the list index page newest-first with lexicographic ranges.
 */
export function newCheckpointId(now: number): string {
  return `cp_${now.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`
}

export const CHECKPOINT_ID_PATTERN = /^cp_[0-9a-z]{9}[0-9a-f]{16}$/
