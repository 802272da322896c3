import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'

/**
 * Bot Connector failures in the channel contract's terms: 429 (and 503 with Retry-After) is
 * the service setting the pace, handed to BullMQ as RetryAfterError; 401/403/404 mean the
 * app was removed, the bot blocked, or the conversation is gone, which retrying cannot fix.
 * Anything else is an ordinary error, retried with backoff.
 */
interface HeadersLike {
  get(name: string): string | undefined | null
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const e = error as { statusCode?: unknown; status?: unknown; response?: { status?: unknown } }
  const status = e.statusCode ?? e.status ?? e.response?.status
  return typeof status === 'number' ? status : undefined
}

function retryAfterMs(error: unknown, now: number): number | null {
  const headers = (error as { response?: { headers?: HeadersLike } }).response?.headers
  const raw = typeof headers?.get === 'function' ? headers.get('retry-after') : undefined
  if (!raw) return null
  const seconds = Number(raw)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const at = Date.parse(raw)
  return Number.isFinite(at) ? Math.max(0, at - now) : null
}

const DEFAULT_WAIT_MS = 5_000

export function classifyConnectorError(error: unknown, what: string, now = Date.now()): Error {
  const status = statusOf(error)
  if (status === 429 || (status === 503 && retryAfterMs(error, now) !== null)) return new RetryAfterError(retryAfterMs(error, now) ?? DEFAULT_WAIT_MS)
  if (status === 401 || status === 403 || status === 404) return new PermanentDeliveryError(`${what}: Teams answered ${status} (app removed, bot blocked, or conversation gone)`)
  if (status !== undefined) return new Error(`${what}: Teams answered ${status}`)
  return error instanceof Error ? error : new Error(`${what} failed`)
}
