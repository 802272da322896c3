import { assertPublicDestination, PrivateDestinationError, type Resolver } from '../engine/webhook-address.js'
import { webhookHeaders } from '../sdk/webhook.js'
import { ResumeRejected, type ResumeTarget } from '../plugins/resume-target.js'

const TIMEOUT_MS = 10_000

/**
 * Standard Webhooks POST to `resume.webhook.url`, signed with the checkpoint's own secret or
 * HOLDPOINT_WEBHOOK_SECRET. The `webhook-id` is the same on every retry so receivers can
 * dedupe; the timestamp is fresh on each attempt, as the spec requires.
 */
export interface WebhookGuard {
  /** HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: skip the send-time SSRF check. */
  allowPrivate: boolean
  resolve?: Resolver
}

export function webhookTarget(defaultSecret: string, fetchImpl: typeof fetch = fetch, guard: WebhookGuard = { allowPrivate: false }): ResumeTarget {
  return {
    name: 'webhook',
    async resume(event, spec, { messageId }) {
      if (!('webhook' in spec)) throw new Error('webhookTarget called for another target')
      // Checked again here because DNS may now say something else than at create time.
      if (!guard.allowPrivate) {
        await assertPublicDestination(spec.webhook.url, guard.resolve).catch((error: unknown) => {
          if (error instanceof PrivateDestinationError) throw new ResumeRejected(error.message, { refused: 'private-destination' })
          throw error
        })
      }
      const body = JSON.stringify(event)
      const headers = await webhookHeaders({ secret: spec.webhook.secret ?? defaultSecret, id: messageId, body })
      const response = await fetchImpl(spec.webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'holdpoint', ...headers },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
      await response.body?.cancel().catch(() => undefined)
      const detail = { status: response.status }
      if (response.status === 410) throw new ResumeRejected('the receiver answered 410 Gone', detail)
      if (response.status < 200 || response.status >= 300) throw new Error(`the receiver answered ${response.status}`)
      return { detail }
    },
  }
}
