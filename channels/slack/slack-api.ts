import { webApi } from '@slack/bolt'
import type { Logger as PinoLogger } from 'pino'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'
import { boltLogger } from './bolt-logger.js'

export type SlackClient = InstanceType<typeof webApi.WebClient>

/**
 * The Web API client. Its own retry loop is off: BullMQ owns retries, so a 429 surfaces as
 * RetryAfterError and the job waits exactly Retry-After instead of a hidden sleep in a worker.
 */
export function createSlackClient(token: string, apiUrl: string, logger: PinoLogger): SlackClient {
  return new webApi.WebClient(token, {
    slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/`,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 10_000,
    logger: boltLogger(logger.child({ component: 'slack-web-api' })),
  })
}

/** Errors retrying cannot fix: the target or the app's installation is wrong. */
const PERMANENT = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'users_not_found',
  'user_not_found',
  'user_disabled',
  'cannot_dm_bot',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'msg_too_long',
  'message_not_found',
  'cant_update_message',
  'restricted_action',
])

export function slackErrorCode(error: unknown): string | null {
  if (error instanceof Error && 'code' in error && error.code === webApi.ErrorCode.PlatformError) {
    const data = (error as { data?: { error?: unknown } }).data
    return typeof data?.error === 'string' ? data.error : 'unknown_error'
  }
  return null
}

/** Maps a Web API failure onto the channel contract: wait, give up, or retry with backoff. */
export function toChannelError(error: unknown): Error {
  if (error instanceof Error && 'code' in error && error.code === webApi.ErrorCode.RateLimitedError) {
    const seconds = (error as { retryAfter?: number }).retryAfter
    return new RetryAfterError(Math.max(1, seconds ?? 1) * 1000)
  }
  const code = slackErrorCode(error)
  if (code !== null && PERMANENT.has(code)) return new PermanentDeliveryError(`slack refused: ${code}`)
  return error instanceof Error ? error : new Error(String(error))
}

/** Runs a Web API call, translating its failure (see toChannelError). */
export async function slackCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw toChannelError(error)
  }
}
