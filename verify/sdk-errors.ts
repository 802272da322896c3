import { VerifierMisconfigured, VerifierUnavailable } from './verdict.js'

/**
 * Maps a provider SDK failure onto retry semantics. Both official SDKs throw errors carrying
 * `status` and `headers`; connection failures and timeouts have no status. Their own retry
 * loops are off, so BullMQ's backoff (or the provider's Retry-After) sets the pace.
 */
export function providerFailure(provider: string, error: unknown): Error {
  if (error instanceof VerifierUnavailable || error instanceof VerifierMisconfigured) return error
  const status = typeof (error as { status?: unknown }).status === 'number' ? (error as { status: number }).status : null
  if (status === 429 || status === 408 || status === 409 || (status !== null && status >= 500) || status === null) {
    return new VerifierUnavailable(`${provider} is unavailable${status === null ? '' : ` (HTTP ${status})`}`, status === 429 ? retryAfterMs(error) : null)
  }
  // 400/401/403/404/422: a bad key, an unknown model, a request the provider will never take.
  return new VerifierMisconfigured(`${provider} refused the request (HTTP ${status})`)
}

function retryAfterMs(error: unknown): number | null {
  const headers = (error as { headers?: unknown }).headers
  const get = (name: string): string | null => {
    if (headers && typeof (headers as Headers).get === 'function') return (headers as Headers).get(name)
    if (headers && typeof headers === 'object') {
      const value = (headers as Record<string, unknown>)[name]
      return typeof value === 'string' ? value : null
    }
    return null
  }
  const ms = Number(get('retry-after-ms'))
  if (Number.isFinite(ms) && ms > 0) return ms
  const raw = get('retry-after')
  if (raw === null) return null
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const at = Date.parse(raw)
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now())
}
