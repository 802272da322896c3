import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { escapeHtml } from '../common/html.js'
import { outcomeLine, payloadLines, timeLeft } from '../common/request-summary.js'

/** Message texts in Telegram's HTML parse mode (only b, i, a, code are used). */
const MAX_TEXT = 3800
/** The agent's task gets at most this much of a message, so what follows it stays visible. */
const MAX_TASK = 1500
/** Wrappers (reminder, sent back) add a short header to a request text: still under Telegram's 4096. */
const MAX_WRAPPED = 4050

/** Cuts plain text (before escaping), never between the halves of a surrogate pair. */
function cutPlain(text: string, max: number): string {
  if (text.length <= max) return text
  let end = max - 1
  if (/[\ud800-\udbff]/.test(text.charAt(end - 1))) end -= 1
  return `${text.slice(0, end)}…`
}

/** Telegram counts the text after parsing: an entity is one character, a tag none. */
const TOKEN = /<\/?([a-z]+)[^>]*>|&(?:#\d+|#x[0-9a-f]+|[a-z]+);|[\ud800-\udbff][\udc00-\udfff]|[^]/giy

/** UTF-16 units Telegram counts for one token: 1 for an entity, 2 for a surrogate pair. */
const widthOf = (token: string) => (token.startsWith('&') ? 1 : token.length)

export function visibleLength(html: string): number {
  let n = 0
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(html); m; m = TOKEN.exec(html)) if (!m[0].startsWith('<')) n += widthOf(m[0])
  return n
}

/**
 * Cuts HTML we built ourselves to at most `max` visible characters at a safe boundary: never
 * inside a tag, an entity or a surrogate pair, and every tag left open is closed again, so
 * Telegram never refuses the message as malformed ("can't parse entities").
 */
export function clipHtml(html: string, max: number): string {
  if (visibleLength(html) <= max) return html
  const open: string[] = []
  let out = ''
  let n = 0
  TOKEN.lastIndex = 0
  for (let m = TOKEN.exec(html); m; m = TOKEN.exec(html)) {
    const token = m[0]
    if (token.startsWith('<')) {
      const name = (m[1] ?? '').toLowerCase()
      if (token.startsWith('</')) {
        if (open.at(-1) === name) open.pop()
      } else open.push(name)
      out += token
      continue
    }
    const width = widthOf(token)
    if (n + width > max - 1) break
    out += token
    n += width
  }
  return `${out}…${open.reverse().map((name) => `</${name}>`).join('')}`
}

export function requestText(cp: CheckpointView, extra?: string, now = Date.now()): string {
  const lines = payloadLines(cp.payload).map(escapeHtml)
  // The task is cut as plain text, then escaped: an escaped cut could split `&lt;`.
  const parts = [`<b>${escapeHtml(cutPlain(cp.task, MAX_TASK))}</b>`]
  if (lines.length > 0) parts.push(lines.join('\n'))
  parts.push(`<i>${escapeHtml(timeLeft(cp.expiresAt, now))}</i>`)
  if (!extra) return clipHtml(parts.join('\n\n'), MAX_TEXT)
  // What to do next (a link to the form) always survives the cut.
  return `${clipHtml(parts.join('\n\n'), MAX_TEXT - visibleLength(extra) - 2)}\n\n${extra}`
}

export function outcomeText(cp: CheckpointView): string {
  return clipHtml(`<b>${escapeHtml(cutPlain(cp.task, MAX_TASK))}</b>\n\n${escapeHtml(outcomeLine(cp))}`, MAX_TEXT)
}

/** The verifier sent the last answer back: its reason first, then the request again. */
export function reminderText(request: string): string {
  return clipHtml(`⏰ <b>Reminder:</b> this is still waiting for an answer.\n\n${request}`, MAX_WRAPPED)
}

export function sentBackText(reason: string, attempts: number, request: string): string {
  return clipHtml(`⚠️ <b>The answer was sent back</b> (attempt ${attempts}): ${escapeHtml(cutPlain(reason, 300))}\nPlease answer again.\n\n${request}`, MAX_WRAPPED)
}
