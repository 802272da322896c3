import { guardedFetch, httpStatusLine, RedirectRefused, shortReason, type OutboundGuard } from '../engine/outbound.js'
import { PrivateDestinationError } from '../engine/webhook-address.js'
import { webhookHeaders } from '../sdk/webhook.js'
import { verdictSchema, VerifierMisconfigured, VerifierUnavailable, type VerifyInput } from './verdict.js'
import type { Verifier } from './verifier.js'

const TIMEOUT_MS = 30_000
const MAX_BODY = 64 * 1024

/** The body of a verification request to the agent's own verifier. */
export interface VerifyRequestBody {
  type: 'checkpoint.verify'
  timestamp: string
  data: Omit<VerifyInput, 'redacted'> & { redacted: boolean }
}

/**
 * The agent's own verifier: a Standard Webhooks POST signed with HOLDPOINT_WEBHOOK_SECRET
 * (the same scheme as resume), with a `webhook-id` stable across retries of one attempt. It
 * must answer 2xx with `{ passed, reason, response? }`; anything else is retried, not a verdict.
 * Like resume webhooks, its address is checked against the SSRF guard after DNS at send time
 * (and on each same-origin redirect hop; other redirects are not followed), and a failure is
 * described by its status line, never by the body the server sent.
 */
export function webhookVerifier(secret: string, fetchImpl: typeof fetch = fetch, guard: OutboundGuard = { allowPrivate: false }): Verifier {
  const send = guardedFetch({ guard, fetch: fetchImpl })
  return {
    name: 'webhook',
    async verify(input, target) {
      if (!target.url) throw new VerifierUnavailable('the webhook verifier has no url')
      const request: VerifyRequestBody = { type: 'checkpoint.verify', timestamp: new Date().toISOString(), data: input }
      const body = JSON.stringify(request)
      const headers = await webhookHeaders({ secret, id: `msg_${input.checkpointId}.v${input.attempt}`, body })
      let response: Response
      try {
        response = await send(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'holdpoint', ...headers },
          body,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        })
      } catch (error) {
        if (error instanceof PrivateDestinationError) throw new VerifierMisconfigured(error.message)
        if (error instanceof RedirectRefused) throw new VerifierUnavailable(`the webhook verifier ${error.message}`)
        throw new VerifierUnavailable(`the webhook verifier did not answer (${shortReason(error instanceof Error ? error.name : typeof error, 40)})`)
      }
      if (response.status < 200 || response.status >= 300) await response.body?.cancel().catch(() => undefined)
      const text = response.status >= 200 && response.status < 300 ? await response.text().catch(() => '') : ''
      if (response.status === 429) {
        const seconds = Number(response.headers.get('retry-after'))
        throw new VerifierUnavailable('the webhook verifier asked to slow down (HTTP 429)', Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null)
      }
      if (response.status < 200 || response.status >= 300) throw new VerifierUnavailable(`the webhook verifier answered ${httpStatusLine(response.status, response.statusText)}`)
      if (text.length > MAX_BODY) throw new VerifierUnavailable('the webhook verifier answered with an oversized body')
      let json: unknown
      try {
        json = JSON.parse(text) as unknown
      } catch {
        throw new VerifierUnavailable('the webhook verifier answered with a body that is not JSON')
      }
      const verdict = verdictSchema.safeParse(json)
      if (!verdict.success) throw new VerifierUnavailable('the webhook verifier answered with something that is not a verdict { passed, reason, response? }')
      return { ...verdict.data, model: 'webhook' }
    },
  }
}
