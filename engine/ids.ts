import { pooledRandomBytes } from './random-pool.js'

/**
 * Checkpoint ids sort by creation time as plain strings (base36 milliseconds, fixed width),
 * which lets the list index page newest-first with lexicographic ranges.
 */
export function newCheckpointId(now: number): string {
  return `cp_${now.toString(36).padStart(9, '0')}${pooledRandomBytes(8).toString('hex')}`
}

export const CHECKPOINT_ID_PATTERN = /^cp_[0-9a-z]{9}[0-9a-f]{16}$/

/** The creation time an id carries (ms), or null for an id not made by newCheckpointId. */
export function createdAtOf(id: string): number | null {
  if (!CHECKPOINT_ID_PATTERN.test(id)) return null
  const ms = parseInt(id.slice(3, 12), 36)
  return Number.isSafeInteger(ms) ? ms : null
}
