import { timingSafeEqual } from 'node:crypto'
import type { Middleware } from 'koa'
import { problem } from '../../plugins/web/problem.js'
import { readRawBody } from '../../plugins/web/read-json.js'
import { MAX_MESSAGE_BYTES } from './inbound-mail.js'
import type { InboundMessages } from './inbound-queue.js'

/**
 * `POST /email/inbound`: a provider forwards the raw message (`message/rfc822`) with
 * `Authorization: Bearer <HOLDPOINT_EMAIL_INBOUND_SECRET>`. 202 once the message is queued
 * (a worker reads it; a crash loses nothing), 401 without the secret. The bearer proves only
 * that the provider sent it: who wrote it is decided later, from the reply address, From and
 * DMARC, exactly as for the IMAP mailbox.
 */
export const INBOUND_PATH = '/email/inbound'

function bearerMatches(header: string, secret: string): boolean {
  const given = /^Bearer\s+(\S+)$/i.exec(header)?.[1]
  if (given === undefined) return false
  const a = Buffer.from(given)
  const b = Buffer.from(secret)
  return a.length === b.length && timingSafeEqual(a, b)
}

export function inboundRoute(opts: { secret: string; messages: InboundMessages }): Middleware {
  return async (ctx, next) => {
    if (ctx.path !== INBOUND_PATH) {
      await next()
      return
    }
    if (ctx.method !== 'POST') throw problem(405, 'method-not-allowed', 'Method not allowed', 'Post the raw message here.')
    if (!bearerMatches(ctx.get('authorization'), opts.secret)) {
      throw problem(401, 'unauthorized', 'Unauthorized', 'Send Authorization: Bearer <HOLDPOINT_EMAIL_INBOUND_SECRET>.')
    }
    const type = ctx.get('content-type')
    if (type && !/^(message\/rfc822|application\/octet-stream|text\/plain)\b/i.test(type)) {
      throw problem(415, 'unsupported-media-type', 'Unsupported media type', 'Send the raw message as message/rfc822.')
    }
    const raw = await readRawBody(ctx, MAX_MESSAGE_BYTES)
    if (raw.length === 0) throw problem(422, 'empty-message', 'Empty message', 'The body must be the raw message.')
    await opts.messages.add(raw, 'http')
    ctx.status = 202
    ctx.body = { accepted: true }
  }
}
