import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import { problem } from '../../plugins/web/problem.js'
import { readRawBody } from '../../plugins/web/read-json.js'
import type { KoaReceiver } from './koa-receiver.js'
import { verifySlackSignature } from './signature.js'

export const SLACK_EVENTS_PATH = '/slack/events'

export interface SlackRoutesOptions {
  signingSecret: string
  receiver: KoaReceiver
  bodyLimit: number
  logger: Logger
  clock?: () => number
}

/** Interactivity posts a form with one `payload` field; the Events API posts JSON. */
function parseBody(contentType: string, raw: Buffer): Record<string, unknown> {
  const text = raw.toString('utf8')
  try {
    if (/application\/x-www-form-urlencoded/i.test(contentType)) {
      const form = new URLSearchParams(text)
      const payload = form.get('payload')
      if (payload !== null) return JSON.parse(payload) as Record<string, unknown>
      return Object.fromEntries(form.entries())
    }
    const parsed = JSON.parse(text) as unknown
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>
  } catch {
    // fall through to the 400 below
  }
  throw problem(400, 'malformed-slack-body', 'Malformed request', 'The body is not a Slack payload.')
}

/**
 * `POST /slack/events`: the signature is checked over the raw bytes before anything is
 * parsed or run, so a forged or stale request gets 401 and touches nothing. What passes is
 * handed to Bolt through our receiver; the response is the listener's acknowledgement.
 */
export function slackRoutes(opts: SlackRoutesOptions): Middleware {
  const clock = opts.clock ?? Date.now
  const log = opts.logger.child({ component: 'slack-events' })
  return async (ctx, next) => {
    if (ctx.path !== SLACK_EVENTS_PATH) {
      await next()
      return
    }
    if (ctx.method !== 'POST') {
      ctx.set('allow', 'POST')
      throw problem(405, 'method-not-allowed', 'Method not allowed', 'Slack posts to this endpoint.')
    }
    const raw = await readRawBody(ctx, opts.bodyLimit)
    const check = verifySlackSignature({
      secret: opts.signingSecret,
      rawBody: raw,
      timestamp: ctx.get('x-slack-request-timestamp') || undefined,
      signature: ctx.get('x-slack-signature') || undefined,
      nowMs: clock(),
    })
    if (!check.ok) {
      log.warn({ reason: check.reason }, 'refused a Slack request with a bad signature')
      throw problem(401, 'bad-signature', 'Bad signature', 'The request is not signed by Slack, or is too old.')
    }
    const body = parseBody(ctx.get('content-type'), raw)
    if (body.type === 'url_verification' && typeof body.challenge === 'string') {
      ctx.body = { challenge: body.challenge }
      return
    }
    const retryHeader = ctx.get('x-slack-retry-num')
    const retryNum = retryHeader ? Number(retryHeader) : undefined
    const retryReason = ctx.get('x-slack-retry-reason') || undefined
    const outcome = await opts.receiver.dispatch(body, Number.isFinite(retryNum) ? retryNum : undefined, retryReason)
    ctx.status = 200
    if (outcome.body === undefined || outcome.body === null || outcome.body === '') ctx.body = ''
    else if (typeof outcome.body === 'string') ctx.body = outcome.body
    else ctx.body = outcome.body
  }
}
