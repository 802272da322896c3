import { Bot, TelegramApiError, type Api } from 'node-telegram-bot-api'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'

/**
 * The Bot API client. The library's own retries are off: every call runs inside a BullMQ
 * job, which owns retries, so a 429's `retry_after` is waited exactly once, by BullMQ.
 */
export function createBotApi(token: string, apiRoot: string): Api {
  return new Bot(token, { apiRoot, maxRetries: 0, timeoutMs: 30_000, maxRetryAfterMs: 0 }).api
}

/** Telegram's answer when an edit would not change the message: already up to date. */
export function isNotModified(error: unknown): boolean {
  return error instanceof TelegramApiError && error.errorCode === 400 && /not modified/i.test(error.description)
}

/**
 * Maps a Bot API failure to what the job should do: 429 waits `retry_after` without
 * spending an attempt; 400/403 (chat not found, bot blocked, bad request) will never work;
 * anything else (5xx, network) is retried with backoff. Messages carry no token or URL.
 */
export function classifyBotError(method: string, error: unknown): Error {
  if (error instanceof TelegramApiError) {
    if (error.errorCode === 429) return new RetryAfterError(Math.max(1, error.retryAfter ?? 1) * 1000)
    if (error.errorCode === 400 || error.errorCode === 403 || error.errorCode === 401 || error.errorCode === 404) {
      return new PermanentDeliveryError(`Telegram ${method} failed permanently: ${error.errorCode} ${error.description}`)
    }
    return new Error(`Telegram ${method} failed: ${error.errorCode} ${error.description}`, { cause: error })
  }
  return new Error(`Telegram ${method} failed: ${(error as Error).name}`, { cause: error })
}

export async function callBot<T>(method: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    throw classifyBotError(method, error)
  }
}
