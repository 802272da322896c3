import { createHash } from 'node:crypto'
import webpush, { type Urgency } from 'web-push'
import { assertSendable, type EndpointPolicy } from './endpoint-policy.js'
import type { Device } from './subscriptions.js'

/**
 * One push to one device. Encryption (RFC 8291 aes128gcm) and the VAPID header (RFC 8292)
 * come from `web-push`; the request itself goes through fetch so the endpoint policy runs
 * right before it and the push service's answer maps to what the channel must do.
 */
export interface Vapid {
  subject: string
  publicKey: string
  privateKey: string
}

export type SendResult =
  | { kind: 'sent' }
  /** 404/410: the subscription is gone for good. */
  | { kind: 'gone' }
  /** 413: the service wants a smaller message. */
  | { kind: 'too_large' }
  /** 429/5xx/network: try again later (after `afterMs` when the service said so). */
  | { kind: 'retry'; afterMs: number | null; reason: string }
  /** Anything else (400, 401/403 on our VAPID key, a refused endpoint): not worth retrying. */
  | { kind: 'failed'; reason: string }

export interface PushOptions {
  ttlSeconds: number
  urgency: Urgency
  /** Same topic for every push about one checkpoint: a later one replaces an undelivered earlier one. */
  topic: string
}

export interface Sender {
  send(device: Device, payload: string, options: PushOptions): Promise<SendResult>
}

const TIMEOUT_MS = 10_000

/** RFC 8030 topics are at most 32 base64url characters; checkpoint ids are longer. */
export function topicFor(checkpointId: string): string {
  return createHash('sha256').update(checkpointId).digest('base64url').slice(0, 32)
}

export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null
  const seconds = Number(header)
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds, 3600) * 1000
  const at = Date.parse(header)
  return Number.isNaN(at) ? null : Math.min(Math.max(0, at - now), 3_600_000)
}

/** web-push's headers for node's https; fetch wants strings and sets Content-Length itself. */
function headersOf(raw: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(raw).flatMap(([name, value]) => (name.toLowerCase() === 'content-length' ? [] : [[name, String(value)]])))
}

export function createSender(vapid: Vapid, policy: EndpointPolicy, fetchImpl: typeof fetch = fetch): Sender {
  return {
    async send(device, payload, options) {
      try {
        await assertSendable(device.endpoint, policy)
      } catch (error) {
        return { kind: 'failed', reason: (error as Error).message }
      }
      const details = webpush.generateRequestDetails({ endpoint: device.endpoint, keys: device.keys }, payload, {
        vapidDetails: vapid,
        TTL: options.ttlSeconds,
        urgency: options.urgency,
        topic: options.topic,
        contentEncoding: 'aes128gcm',
      })
      let res: Response
      try {
        res = await fetchImpl(details.endpoint, {
          method: 'POST',
          headers: headersOf(details.headers),
          body: details.body === null ? null : new Uint8Array(details.body),
          redirect: 'error',
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
        await res.body?.cancel()
      } catch (error) {
        // The cause names the failure (refused, timed out) without the endpoint's path.
        const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause
        const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : (error as Error).name
        return { kind: 'retry', afterMs: null, reason: `push service unreachable (${why})` }
      }
      if (res.status >= 200 && res.status < 300) return { kind: 'sent' }
      if (res.status === 404 || res.status === 410) return { kind: 'gone' }
      if (res.status === 413) return { kind: 'too_large' }
      if (res.status === 429 || res.status >= 500) return { kind: 'retry', afterMs: retryAfterMs(res.headers.get('retry-after')), reason: `push service answered ${res.status}` }
      return { kind: 'failed', reason: `push service answered ${res.status}` }
    },
  }
}
