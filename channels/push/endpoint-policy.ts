import { assertPublicDestination, privateUrlProblem, type Resolver } from '../../engine/webhook-address.js'

/**
 * Which push endpoints Holdpoint will call. The endpoint comes from a browser, so it is as
 * untrusted as a webhook URL: https only in production, and no private destinations unless
 * HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS says so (a local push service in development and tests).
 */
export interface EndpointPolicy {
  production: boolean
  allowPrivate: boolean
  /** DNS for the send-time check; tests pass their own. */
  resolve?: Resolver
}

const MAX_ENDPOINT = 2048

/** Why a subscription's endpoint is refused at registration, or null. */
export function endpointProblem(raw: string, policy: EndpointPolicy): string | null {
  if (raw.length > MAX_ENDPOINT) return `must be at most ${MAX_ENDPOINT} characters`
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    return 'is not a valid URL'
  }
  if (url.username !== '' || url.password !== '') return 'must not carry credentials'
  if (policy.production && url.protocol !== 'https:') return 'must use https'
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https'
  return policy.allowPrivate ? null : privateUrlProblem(raw)
}

/** Send-time: the static rules again, and the host must still resolve to public addresses. */
export async function assertSendable(raw: string, policy: EndpointPolicy): Promise<void> {
  const problem = endpointProblem(raw, policy)
  if (problem) throw new Error(`push endpoint ${problem}`)
  if (!policy.allowPrivate) await assertPublicDestination(raw, policy.resolve)
}
