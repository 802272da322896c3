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

/** Line breaks a mail client or terminal may honour, not only `\n`. */
const LINE_BREAKS = /\r\n|[\r\n\v\f\u0085\u2028\u2029]/
/** Controls that would hide or reorder what is shown: C0/C1 controls (not tab) and bidi overrides. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const HIDING = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * The agent's words for a plain-text message, set visibly apart: every line (whatever breaks
 * it) starts with `> `, so no line of it can pass for one of Holdpoint's own (an "answer with
 * these links" block, a link line), and controls that would hide or reorder text are dropped.
 */
export function quoteAgentText(text: string): string[] {
  return text.split(LINE_BREAKS).map((line) => {
    const clean = line.replace(HIDING, '').replace(/\s+$/, '')
    return clean === '' ? '>' : `> ${clean}`
  })
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
