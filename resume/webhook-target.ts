import { guardedFetch, httpStatusLine, RedirectRefused, type OutboundGuard } from '../engine/outbound.js'
import { PrivateDestinationError } from '../engine/webhook-address.js'
import { signWebhookHeaders } from './webhook-signature.js'
import { ResumeRejected, type ResumeTarget } from '../plugins/resume-target.js'

const TIMEOUT_MS = 10_000

/**
 * Standard Webhooks POST to `resume.webhook.url`, signed with the checkpoint's own secret or
 * HOLDPOINT_WEBHOOK_SECRET. The `webhook-id` is the same on every retry so receivers can
 * dedupe; the timestamp is fresh on each attempt, as the spec requires.
 */
export type WebhookGuard = OutboundGuard

export function webhookTarget(defaultSecret: string, fetchImpl: typeof fetch = fetch, guard: WebhookGuard = { allowPrivate: false }): ResumeTarget {
  const send = guardedFetch({ guard, fetch: fetchImpl })
  return {
    name: 'webhook',
    async resume(event, spec, { messageId }) {
      if (!('webhook' in spec)) throw new Error('webhookTarget called for another target')
      const body = JSON.stringify(event)
      const headers = signWebhookHeaders(spec.webhook.secret ?? defaultSecret, messageId, body)
      let response: Response
      try {
        // The SSRF guard runs again here (and on every same-origin redirect hop) because DNS
        // may now say something else than at create time.
        response = await send(spec.webhook.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'holdpoint', ...headers },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
      } catch (error) {
        if (error instanceof PrivateDestinationError) throw new ResumeRejected(error.message, { refused: 'private-destination' })
        // A receiver that sends us elsewhere will keep doing so; the signature is not followed.
        if (error instanceof RedirectRefused) throw new ResumeRejected(`the receiver ${error.message}`, { status: error.status, refused: 'redirect' })
        throw error
      }
      await response.body?.cancel().catch(() => undefined)
      const detail = { status: response.status }
      if (response.status === 410) throw new ResumeRejected('the receiver answered 410 Gone', detail)
      if (response.status < 200 || response.status >= 300) throw new Error(`the receiver answered ${httpStatusLine(response.status, response.statusText)}`)
      return { detail }
    },
  }
}
