import { randomUUID } from 'node:crypto'
import type { Queue } from 'bullmq'
import type { RedisClient } from '../../engine/redis-client.js'
import { TelegramApiError, type Api } from 'node-telegram-bot-api'
import type { Logger } from 'pino'
import { enqueueUpdate, slimUpdate } from './inbound-queue.js'

/**
 * Polling mode: one `getUpdates` long poll per `poll` job. A job scheduler fires the job
 * every second on whichever worker is free; a Redis lease makes sure only one of them talks
 * to Telegram at a time (Telegram itself refuses concurrent getUpdates). The offset lives in
 * Redis and moves only after the updates are queued (queued by `update_id`, so a crash in
 * between cannot make one count twice).
 */
export const POLL_SCHEDULER = 'telegram-poll'
const LONG_POLL_SECONDS = 25
const LEASE_MS = (LONG_POLL_SECONDS + 35) * 1000

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0`
const HOLD = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end return 0`

export interface PollerDeps {
  api: Api
  redis: RedisClient
  prefix: string
  queue: Queue
  logger: Logger
}

export class TelegramPoller {
  private readonly stopping = new AbortController()
  private readonly lockKey: string
  private readonly offsetKey: string

  constructor(private readonly deps: PollerDeps) {
    this.lockKey = `${deps.prefix}:tg:poll-lock`
    this.offsetKey = `${deps.prefix}:tg:offset`
  }

  async pollOnce(): Promise<string> {
    if (this.stopping.signal.aborted) return 'stopping'
    const owner = randomUUID()
    if ((await this.deps.redis.set(this.lockKey, owner, 'PX', LEASE_MS, 'NX')) !== 'OK') return 'another worker is polling'
    let holdMs = 0
    try {
      const offset = Number((await this.deps.redis.get(this.offsetKey)) ?? '0')
      const updates = await this.deps.api.getUpdates(
        { ...(offset > 0 && { offset }), timeout: LONG_POLL_SECONDS, allowed_updates: ['callback_query', 'message'] },
        this.stopping.signal,
      )
      for (const raw of updates) {
        const update = slimUpdate(raw)
        if (update && (update.tap || update.reply)) await enqueueUpdate(this.deps.queue, update)
      }
      const last = updates.at(-1)
      if (last) await this.deps.redis.set(this.offsetKey, String(last.update_id + 1))
      return `${updates.length} updates`
    } catch (error) {
      if (this.stopping.signal.aborted) return 'stopped'
      if (error instanceof TelegramApiError && error.errorCode === 429) {
        // Keep the lease for retry_after so no worker polls before Telegram allows it.
        holdMs = Math.max(1, error.retryAfter ?? 1) * 1000
        return `rate limited for ${holdMs} ms`
      }
      const reason = error instanceof TelegramApiError ? `${error.errorCode} ${error.description}` : (error as Error).name
      this.deps.logger.warn({ reason }, error instanceof TelegramApiError && error.errorCode === 409 ? 'telegram getUpdates refused: a webhook is set for this bot (deleteWebhook to poll)' : 'telegram getUpdates failed')
      return 'failed'
    } finally {
      if (holdMs > 0) await this.deps.redis.eval(HOLD, 1, this.lockKey, owner, holdMs)
      else await this.deps.redis.eval(RELEASE, 1, this.lockKey, owner)
    }
  }

  /** Ends a long poll in flight, so shutdown does not wait for Telegram's timeout. */
  stop(): void {
    this.stopping.abort()
  }
}
