import type { Worker } from 'bullmq'
import { z } from 'zod'
import { definePlugin, type PluginParts } from '../../plugins/plugin.js'
import { ProposalStore } from '../common/proposals.js'
import { createBotApi } from './bot-api.js'
import { telegramDoctor } from './doctor.js'
import { TelegramFreeText } from './free-text.js'
import { INBOUND_QUEUE } from './inbound-queue.js'
import { createInboundWorker } from './inbound-worker.js'
import { MessageRefs } from './message-refs.js'
import { POLL_SCHEDULER, TelegramPoller } from './poller.js'
import { createTelegramChannel } from './telegram-channel.js'
import { telegramWebhook } from './webhook-route.js'

const CHAT_ID = /^-?\d{1,20}$/

const env = z.object({
  TELEGRAM_BOT_TOKEN: z.string().trim().min(1).optional(),
  TELEGRAM_WEBHOOK_SECRET: z.string().trim().min(1).optional(),
  TELEGRAM_API_ROOT: z.url().default('https://api.telegram.org'),
  TELEGRAM_MODE: z.enum(['webhook', 'polling']).default('webhook'),
})

/**
 * The Telegram channel. Delivery runs on the deliver-telegram queue; inbound updates arrive
 * on `POST /telegram/webhook` (webhook mode) or from a polling job (polling mode), and are
 * handled by this plugin's own queue in worker processes. Off without TELEGRAM_BOT_TOKEN.
 */
export const telegramPlugin = definePlugin({
  name: 'telegram',
  env,
  queues: [INBOUND_QUEUE],
  channel: {
    recipients: { pattern: /^telegram:-?\d{1,20}$/, forms: ['telegram:<chat id>'] },
    handles: [
      {
        field: 'telegramChatId',
        label: 'Telegram chat id',
        placeholder: '123456789',
        pattern: CHAT_ID,
        message: 'a Telegram chat id (digits)',
        identities: (chat) => [`telegram:${chat}`],
        recipient: (chat) => `telegram:${chat}`,
        lookup: true,
      },
    ],
  },
  off(s) {
    if (s.TELEGRAM_BOT_TOKEN === undefined) return 'set TELEGRAM_BOT_TOKEN to enable it (docs/telegram.md)'
    if (s.TELEGRAM_MODE === 'webhook' && s.TELEGRAM_WEBHOOK_SECRET === undefined) return 'TELEGRAM_MODE=webhook needs TELEGRAM_WEBHOOK_SECRET (or use TELEGRAM_MODE=polling)'
    return null
  },
  doctor: (s) => telegramDoctor(s.TELEGRAM_API_ROOT, s.TELEGRAM_BOT_TOKEN ?? '', s.TELEGRAM_MODE),
  start(s, ctx): PluginParts {
    const polling = s.TELEGRAM_MODE === 'polling'
    const api = createBotApi(s.TELEGRAM_BOT_TOKEN ?? '', s.TELEGRAM_API_ROOT)
    const redis = ctx.keys.redis
    const refs = new MessageRefs(redis, ctx.keys.root('telegram'))
    const queue = ctx.queues.get(INBOUND_QUEUE)
    const publicUrl = ctx.publicUrl
    // Replies in words become proposals to confirm when a model is configured.
    const freeText = new TelegramFreeText({ api, extractor: ctx.extractor, proposals: new ProposalStore(ctx.keys), refs })
    let worker: Worker | null = null
    let poller: TelegramPoller | null = null
    return {
      channel: createTelegramChannel({ api, refs, keyring: ctx.keyring, publicUrl }),
      routes: telegramWebhook({ secret: s.TELEGRAM_WEBHOOK_SECRET, queue }),
      async start() {
        if (!ctx.role.worker) return
        poller = polling ? new TelegramPoller({ api, redis, prefix: ctx.keys.root('telegram'), queue, logger: ctx.logger }) : null
        worker = createInboundWorker({
          api,
          poller,
          handler: { engine: ctx.engine, directory: ctx.directory, refs, queue, publicUrl, freeText },
          connection: ctx.queues.connection,
          prefix: ctx.queues.prefixOf(INBOUND_QUEUE),
          lockMs: ctx.jobLockMs,
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
  },
})
