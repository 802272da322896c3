/** Slack mrkdwn needs only &, < and > escaped; anything else a person typed stays as typed. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' }

/**
 * Escapes text from elsewhere (an agent's task) and cuts it so the escaped form fits `max`:
 * the cut falls between characters of the original, never inside `&lt;` or a surrogate
 * pair, so no half-entity and no `<!channel>`, `<@U…>` or `<http://x|label>` survives.
 */
export function escapeMrkdwnWithin(text: string, max: number): string {
  const whole = escapeMrkdwn(text)
  if (whole.length <= max) return whole
  let out = ''
  for (const ch of text) {
    const piece = ENTITY[ch] ?? ch
    if (out.length + piece.length > max - 1) return `${out}…`
    out += piece
  }
  return out
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`
}

export function plain(text: string, max = 3000): { type: 'plain_text'; text: string; emoji: true } {
  return { type: 'plain_text', text: truncate(text, max), emoji: true }
}

export function mrkdwn(text: string, max = 3000): { type: 'mrkdwn'; text: string } {
  return { type: 'mrkdwn', text: truncate(text, max) }
}

export { humanDuration } from '../../common/human-duration.js'

/** A Slack date token: each reader sees the deadline in their own time zone. */
export function slackDate(iso: string): string {
  const seconds = Math.floor(Date.parse(iso) / 1000)
  return `<!date^${seconds}^{date_short_pretty} at {time}|${iso}>`
}
