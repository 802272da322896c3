import { timingSafeEqual } from 'node:crypto'
import type { Queue } from 'bullmq'
import type { Middleware } from 'koa'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { enqueueUpdate, slimUpdate } from './inbound-queue.js'

/**
 * `POST /telegram/webhook`: Telegram proves itself with the secret token it was registered
 * with (`X-Telegram-Bot-Api-Secret-Token`). Without it: 401 and nothing is queued. With it,
 * the update is queued (keyed by update_id) and acknowledged at once; a worker acts on it.
 */
export const WEBHOOK_PATH = '/telegram/webhook'
const BODY_LIMIT = 1024 * 1024

function secretMatches(given: string, expected: string | undefined): boolean {
  if (expected === undefined || given === '') return false
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function telegramWebhook(opts: { secret: string | undefined; queue: Queue }): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== WEBHOOK_PATH) {
      await next()
      return
    }
    if (ctx.method !== 'POST') throw problem(405, 'method-not-allowed', 'Method not allowed', 'Telegram posts updates here.')
    if (!secretMatches(ctx.get('x-telegram-bot-api-secret-token'), opts.secret)) {
      throw problem(401, 'unauthorized', 'Unauthorized', 'The X-Telegram-Bot-Api-Secret-Token header is missing or wrong.')
    }
    const update = slimUpdate(await readJson(ctx, BODY_LIMIT))
    if (!update) throw problem(422, 'not-an-update', 'Not a Telegram update', 'Expected an object with an integer update_id.')
    if (update.tap || update.reply) await enqueueUpdate(opts.queue, update)
    ctx.status = 200
    ctx.body = { ok: true }
  }
}
