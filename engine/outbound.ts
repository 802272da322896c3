import { assertPublicDestination, type Resolver } from './webhook-address.js'

/**
 * Outbound HTTP for clients that carry a credential (an API key, a signature, an event key)
 * to a URL that an agent or an operator chose. Two rules:
 *
 * - Redirects are never followed to another origin: fetch would carry custom headers such as
 *   `x-api-key` along (only `Authorization` is dropped cross-origin), so a target answering
 *   307 to `https://elsewhere` would hand the key over. Same-origin redirects are followed
 *   (a few hops), each hop checked by the SSRF guard first when private destinations are off.
 * - What a failing server said stays out of logs and the audit (an agent can read its
 *   checkpoint's audit, and the server may be an internal one it aimed us at):
 *   `shortReason` keeps a status line at most.
 */

export interface OutboundGuard {
  /** HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: skip the send-time SSRF check. */
  allowPrivate: boolean
  resolve?: Resolver
}

export class RedirectRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'RedirectRefused'
  }
}

const REDIRECTS = new Set([301, 302, 303, 307, 308])
const MAX_HOPS = 3

export interface GuardedFetchOptions {
  /** Absent: no SSRF check (an operator-configured base URL such as INNGEST_BASE_URL). */
  guard?: OutboundGuard
  fetch?: typeof fetch
}

function urlOf(input: Parameters<typeof fetch>[0]): string {
  if (typeof input === 'string') return input
  if (input instanceof URL) return input.href
  return input.url
}

/** A body fetch can send twice (a 307/308 repeats it); streams cannot be replayed. */
function replayable(body: RequestInit['body']): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer || body instanceof URLSearchParams
}

/** `fetch` that refuses cross-origin redirects and re-checks the SSRF guard on every hop. */
export function guardedFetch(options: GuardedFetchOptions = {}): typeof fetch {
  const fetchImpl = options.fetch ?? fetch
  const guard = options.guard
  return async (input, init) => {
    if (input instanceof Request) {
      // Request objects carry their own body and headers; merge them into a plain init once.
      const body = input.body === null ? undefined : await input.arrayBuffer()
      init = { method: input.method, headers: input.headers, ...(body !== undefined && { body }), ...(input.signal && { signal: input.signal }), ...init }
    }
    let url = urlOf(input)
    let request: RequestInit = { ...init, redirect: 'manual' }
    for (let hop = 0; ; hop++) {
      if (guard && !guard.allowPrivate) await assertPublicDestination(url, guard.resolve)
      const response = await fetchImpl(url, request)
      if (!REDIRECTS.has(response.status)) return response
      const location = response.headers.get('location')
      await response.body?.cancel().catch(() => undefined)
      const from = new URL(url)
      const next = location === null ? null : URL.canParse(location, from) ? new URL(location, from) : null
      if (next === null) throw new RedirectRefused(`answered HTTP ${response.status} without a usable Location`, response.status)
      if (next.origin !== from.origin) throw new RedirectRefused(`answered HTTP ${response.status} with a redirect to another origin, which is not followed`, response.status)
      if (hop + 1 >= MAX_HOPS) throw new RedirectRefused(`redirected more than ${MAX_HOPS} times`, response.status)
      const method = (request.method ?? 'GET').toUpperCase()
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && method === 'POST')) {
        const { body: _dropped, ...rest } = request
        request = { ...rest, method: method === 'HEAD' ? 'HEAD' : 'GET' }
      } else if (!replayable(request.body)) {
        throw new RedirectRefused(`answered HTTP ${response.status}; a streamed body cannot be sent again`, response.status)
      }
      url = next.href
    }
  }
}

/**
 * Text from elsewhere made safe for a log line or an audit entry: printable ASCII only,
 * whitespace collapsed, at most `max` characters.
 */
export function shortReason(text: string, max = 60): string {
  const clean = text.replace(/[^\x20-\x7e]+/g, ' ').replace(/\s+/g, ' ').trim()
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean
}

/** `HTTP 502 Bad Gateway`: the status and the (trimmed) status text, never the body. */
export function httpStatusLine(status: number, statusText?: string): string {
  const text = statusText ? shortReason(statusText, 40) : ''
  return text ? `HTTP ${status} ${text}` : `HTTP ${status}`
}
