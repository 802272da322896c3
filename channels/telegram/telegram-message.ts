import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { escapeHtml } from '../common/html.js'
import { outcomeLine, payloadLines, timeLeft } from '../common/request-summary.js'

/** Message texts in Telegram's HTML parse mode (only b, i, a, code are used). */
const MAX_TEXT = 3800

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text
}

export function requestText(cp: CheckpointView, extra?: string, now = Date.now()): string {
  const lines = payloadLines(cp.payload).map(escapeHtml)
  const parts = [`<b>${escapeHtml(cp.task)}</b>`]
  if (lines.length > 0) parts.push(lines.join('\n'))
  parts.push(`<i>${escapeHtml(timeLeft(cp.expiresAt, now))}</i>`)
  if (extra) parts.push(extra)
  return clip(parts.join('\n\n'))
}

export function outcomeText(cp: CheckpointView): string {
  return clip(`<b>${escapeHtml(cp.task)}</b>\n\n${escapeHtml(outcomeLine(cp))}`)
}

/** The verifier sent the last answer back: its reason first, then the request again. */
export function reminderText(request: string): string {
  return clip(`⏰ <b>Reminder:</b> this is still waiting for an answer.\n\n${request}`)
}

export function sentBackText(reason: string, attempts: number, request: string): string {
  return clip(`⚠️ <b>The answer was sent back</b> (attempt ${attempts}): ${escapeHtml(reason)}\nPlease answer again.\n\n${request}`)
}
