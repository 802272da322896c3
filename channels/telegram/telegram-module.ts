import type { Worker } from 'bullmq'
import type { HoldpointModule, ModuleFactory } from '../../ops/module.js'
import { FreeTextExtractor } from '../../verify/extractor.js'
import { ProposalStore } from '../../verify/proposals.js'
import { VerifierSet } from '../../verify/verifier-set.js'
import { createBotApi } from './bot-api.js'
import { TelegramFreeText } from './free-text.js'
import { INBOUND_QUEUE } from './inbound-queue.js'
import { createInboundWorker } from './inbound-worker.js'
import { MessageRefs } from './message-refs.js'
import { POLL_SCHEDULER, TelegramPoller } from './poller.js'
import { createTelegramChannel } from './telegram-channel.js'
import { telegramWebhook } from './webhook-route.js'

/**
 * The Telegram channel. Delivery runs on the deliver-telegram queue; inbound updates arrive
 * on `POST /telegram/webhook` (webhook mode) or from a polling job (polling mode), and are
 * handled by this module's own queue in worker processes. Off without TELEGRAM_BOT_TOKEN.
 */
export const telegramModule: ModuleFactory = (ctx): HoldpointModule | null => {
  const env = ctx.config.env
  if (env.TELEGRAM_BOT_TOKEN === undefined) {
    ctx.logger.info('telegram channel off: set TELEGRAM_BOT_TOKEN to enable it')
    return null
  }
  if (env.TELEGRAM_MODE === 'webhook' && env.TELEGRAM_WEBHOOK_SECRET === undefined) {
    ctx.logger.error('telegram channel off: TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET (or use TELEGRAM_MODE=polling)')
    return null
  }
  const polling = env.TELEGRAM_MODE === 'polling'
  const api = createBotApi(env.TELEGRAM_BOT_TOKEN, env.TELEGRAM_API_ROOT)
  const refs = new MessageRefs(ctx.redis, ctx.config.keyPrefix)
  const queue = ctx.queues.get(INBOUND_QUEUE)
  const publicUrl = ctx.config.publicUrl
  // Replies in words become proposals to confirm when a model is configured (the verify module's models).
  const extractor = new FreeTextExtractor(new VerifierSet({ env, webhookSecret: ctx.config.webhookSecret, ...(ctx.verifiers && { functions: ctx.verifiers }) }))
  const freeText = new TelegramFreeText({ api, extractor, proposals: new ProposalStore(ctx.redis, ctx.config.keyPrefix), refs })
  let worker: Worker | null = null
  let poller: TelegramPoller | null = null

  return {
    name: 'telegram',
    channel: createTelegramChannel({ api, refs, keyring: ctx.keyring, publicUrl }),
    routes: telegramWebhook({ secret: env.TELEGRAM_WEBHOOK_SECRET, queue }),
    async start() {
      if (!ctx.role.worker) return
      poller = polling ? new TelegramPoller({ api, redis: ctx.redis, prefix: ctx.config.keyPrefix, queue, logger: ctx.logger }) : null
      worker = createInboundWorker({
        api,
        poller,
        handler: { engine: ctx.engine, directory: ctx.directory, refs, queue, publicUrl, freeText },
        connection: ctx.queues.connection,
        prefix: ctx.config.keyPrefix,
        lockMs: ctx.config.jobLockMs,
        logger: ctx.logger,
      })
      // Upserting is idempotent, so every worker process may do it; webhook mode removes a leftover one.
      if (polling) await queue.upsertJobScheduler(POLL_SCHEDULER, { every: 1000 }, { name: 'poll', opts: { removeOnComplete: true, removeOnFail: true } })
      else await queue.removeJobScheduler(POLL_SCHEDULER)
      ctx.announce(`telegram: ${polling ? 'polling for updates' : `answers arrive at ${publicUrl}/telegram/webhook`}`)
    },
    async close() {
      poller?.stop()
      await worker?.close()
    },
  }
}
