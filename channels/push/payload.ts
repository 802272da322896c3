/**
 * What a device decrypts (docs: api.md "Mobile push"). Push services cap a message at about
 * 4 KB after encryption, so the JSON is kept under 3 KB: the task is cut, never the ids,
 * token or link, which are what make the notification work.
 */
export interface PushAction {
  action: string
  title: string
}

export interface RequestPayload {
  type: 'checkpoint.request'
  checkpointId: string
  title: string
  body: string
  url: string
  actions?: PushAction[]
  actToken?: string
}

export interface ClosedPayload {
  type: 'checkpoint.closed'
  checkpointId: string
  state: string
}

export const MAX_PAYLOAD_BYTES = 3 * 1024
/** What a 413 from the push service leaves room for. */
export const SHRUNK_PAYLOAD_BYTES = 1024

const bytes = (s: string) => Buffer.byteLength(s, 'utf8')

/** Cuts `text` so that `fixed` plus the JSON-escaped text fits in `limit` bytes. */
function fitText(text: string, limit: number, encode: (t: string) => string): string {
  if (bytes(encode(text)) <= limit) return text
  const chars = [...text]
  let lo = 0
  let hi = chars.length
  // Binary search on code points: escaping makes the byte size non-linear in the length.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (bytes(encode(`${chars.slice(0, mid).join('')}…`)) <= limit) lo = mid
    else hi = mid - 1
  }
  return lo === 0 ? '' : `${chars.slice(0, lo).join('')}…`
}

export function encodeRequest(p: RequestPayload, limit = MAX_PAYLOAD_BYTES): string {
  const encode = (body: string) => JSON.stringify({ ...p, body })
  const encoded = encode(fitText(p.body, limit, encode))
  if (bytes(encoded) > limit) throw new Error('push payload does not fit even without the task')
  return encoded
}

export function encodeClosed(p: ClosedPayload): string {
  return JSON.stringify(p)
}
