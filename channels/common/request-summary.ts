import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { describeAnswer, oneClickChoices } from './answer-choices.js'

/**
 * The plain facts every channel message shows: the payload as short `key: value` lines,
 * the time left, and the outcome once there is one. Channels wrap these in their markup.
 */
const MAX_LINES = 12
const MAX_VALUE = 200

function short(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text
}

export function payloadLines(payload: unknown): string[] {
  if (payload === null || payload === undefined) return []
  if (typeof payload !== 'object' || Array.isArray(payload)) return [short(payload)]
  const entries = Object.entries(payload as Record<string, unknown>)
  const lines = entries.slice(0, MAX_LINES).map(([k, v]) => `${k}: ${short(v)}`)
  if (entries.length > MAX_LINES) lines.push(`… and ${entries.length - MAX_LINES} more`)
  return lines
}

export function timeLeft(expiresAt: string, now = Date.now()): string {
  const ms = Date.parse(expiresAt) - now
  if (ms <= 0) return 'the deadline has passed'
  const minutes = Math.round(ms / 60_000)
  if (minutes < 1) return 'less than a minute left'
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'} left`
  const hours = Math.round(minutes / 60)
  if (hours < 48) return `${hours} hours left`
  return `${Math.round(hours / 24)} days left`
}

/** One line saying how the checkpoint ended (or that it has not). */
export function outcomeLine(cp: CheckpointView): string {
  const who = cp.respondedBy ? (cp.respondedBy.name ?? cp.respondedBy.actor) : null
  switch (cp.state) {
    case 'resolved': {
      const answer = describeAnswer(cp.response, oneClickChoices(cp.responseSchema))
      if (cp.respondedBy?.default) return `Resolved with the default answer (${answer}): nobody answered in time.`
      return `Answered: ${answer}${who ? ` by ${who} (${cp.respondedBy?.channel})` : ''}.`
    }
    case 'expired':
      return 'Expired without an answer.'
    case 'cancelled':
      return 'Cancelled by the requester.'
    case 'rejected':
      return 'Closed: the answer did not pass verification.'
    case 'claimed':
      return `Being handled by ${cp.claimedBy?.name ?? cp.claimedBy?.actor ?? 'someone'}.`
    default:
      return 'Waiting for an answer.'
  }
}
