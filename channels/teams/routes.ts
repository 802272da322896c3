import { createHash } from 'node:crypto'
import type { Activity, TurnContext } from 'botbuilder'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { KeySpace } from '../../plugins/plugin.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { CHANNEL_ISSUER, type TeamsBot } from './bot.js'

export const TEAMS_MESSAGES_PATH = '/teams/messages'

export interface TeamsRoutesOptions {
  bot: TeamsBot
  keys: KeySpace
  bodyLimit: number
  logger: Logger
  /** Runs one authenticated activity; `replay` when its id was seen before. */
  onActivity(turn: TurnContext, replay: boolean): Promise<void>
}

// Teams retries a delivery for minutes; a day leaves a wide margin.
const SEEN_TTL_SECONDS = 60 * 60 * 24

/** Just enough shape to authenticate and route; the SDK reads the rest. */
const activityShape = z.looseObject({
  type: z.string().min(1).max(100),
  id: z.string().max(500).optional(),
  channelId: z.string().max(100),
  serviceUrl: z.string().max(2000),
  conversation: z.looseObject({ id: z.string().min(1).max(1000) }),
  from: z.looseObject({ id: z.string().max(1000) }),
  recipient: z.looseObject({ id: z.string().max(1000) }),
})

/**
 * Only tokens the Bot Framework channel service issued are looked at: skill and emulator
 * tokens (which the SDK would also take, checked against Microsoft's public keys) have no
 * business on a Teams endpoint.
 */
function channelIssued(authorization: string): boolean {
  const match = /^Bearer ([\w-]+)\.([\w-]+)\.([\w-]+)$/.exec(authorization)
  if (!match?.[2]) return false
  try {
    const claims = JSON.parse(Buffer.from(match[2], 'base64url').toString('utf8')) as { iss?: unknown }
    return claims.iss === CHANNEL_ISSUER
  } catch {
    return false
  }
}

const unauthorized = () => problem(401, 'unauthorized', 'Unauthorized', 'The activity is not signed by the Bot Framework for this bot.')

/**
 * `POST /teams/messages`: every activity's JWT is checked by the SDK (signature, issuer,
 * audience, expiry, serviceUrl claim) before anything runs; anything else is 401 and changes
 * nothing. An activity id seen before (Teams retries) is not acted on twice.
 */
export function teamsRoutes(opts: TeamsRoutesOptions): Middleware {
  const log = opts.logger.child({ component: 'teams-messages' })
  return async (ctx, next) => {
    if (ctx.path !== TEAMS_MESSAGES_PATH) {
      await next()
      return
    }
    if (ctx.method !== 'POST') {
      ctx.set('allow', 'POST')
      throw problem(405, 'method-not-allowed', 'Method not allowed', 'Teams posts to this endpoint.')
    }
    const authorization = ctx.get('authorization')
    if (!channelIssued(authorization)) throw unauthorized()
    const parsed = activityShape.safeParse(await readJson(ctx, opts.bodyLimit))
    if (!parsed.success) throw problem(400, 'malformed-activity', 'Malformed activity', 'The body is not a Bot Framework activity.')
    const activity = parsed.data as unknown as Activity
    let auth
    try {
      auth = await opts.bot.authenticate(activity, authorization)
    } catch (error) {
      // The reason only (expired, bad signature, wrong audience); never the token.
      log.warn({ reason: (error as Error).message.slice(0, 200) }, 'refused a Teams activity that failed authentication')
      throw unauthorized()
    }
    const seen = activity.id ? seenKey(opts.keys, activity) : null
    const replay = seen !== null && (await opts.keys.redis.set(seen, '1', 'EX', SEEN_TTL_SECONDS, 'NX')) !== 'OK'
    if (replay && activity.type !== 'invoke') {
      ctx.status = 200
      ctx.body = ''
      return
    }
    let response
    try {
      response = await opts.bot.process(auth, activity, (turn) => opts.onActivity(turn, replay))
    } catch (error) {
      // Not handled: Teams' retry must be acted on, not taken for a replay.
      if (seen && !replay) await opts.keys.redis.del(seen)
      throw error
    }
    ctx.status = response?.status ?? 200
    ctx.body = (response?.body as unknown) ?? ''
  }
}

/** Activity ids are unique within a conversation. */
function seenKey(keys: KeySpace, activity: Activity): string {
  const digest = createHash('sha256').update(`${activity.conversation.id}|${activity.id}`).digest('base64url').slice(0, 32)
  return keys.key('teams', 'seen', digest)
}
