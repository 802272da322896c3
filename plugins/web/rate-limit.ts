import { sha256 } from '../../engine/sha256.js'
import type { RedisClient } from '../../engine/redis-client.js'
import type { Context, Middleware } from 'koa'
import { z } from 'zod'
import { problem } from './problem.js'

/**
 * A fixed-window request counter in Redis, so a limit holds across every server process.
 * One round trip per request: INCR and, on the window's first hit, EXPIRE, in one script.
 */
const HIT = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then redis.call('EXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return { n, ttl }
`

export interface RateLimitRule {
  /** Names the counter family in Redis (`api`, `links`). */
  scope: string
  /** Requests allowed per window; 0 switches the limit off. */
  limit: number
  windowSeconds: number
}

export class FixedWindowLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  /** Counts one request; returns seconds to wait when over the limit, else 0. */
  async hit(rule: RateLimitRule, subject: string): Promise<number> {
    if (rule.limit <= 0) return 0
    // Hashed so tokens and addresses never appear in Redis key names.
    const id = sha256(subject, 'base64url').slice(0, 22)
    const [count, ttl] = (await this.redis.eval(HIT, 1, `${this.prefix}:ratelimit:${rule.scope}:${id}`, rule.windowSeconds)) as [number, number]
    return count > rule.limit ? Math.max(1, ttl) : 0
  }
}

/** Koa middleware: 429 problem+json with Retry-After once `subjectOf(ctx)` passes the rule. */
export function rateLimit(limiter: FixedWindowLimiter, rule: RateLimitRule, subjectOf: (ctx: Context) => string | null): Middleware {
  return async (ctx, next) => {
    const subject = subjectOf(ctx)
    const wait = subject === null ? 0 : await limiter.hit(rule, subject)
    if (wait > 0) {
      ctx.set('retry-after', String(wait))
      throw problem(429, 'rate-limited', 'Too many requests', `Slow down: try again in ${wait} s.`, { retryAfterSeconds: wait })
    }
    await next()
  }
}

/**
 * HOLDPOINT_RATE_LIMIT_EXTRACT: model calls that read free text, per minute per agent token
 * (`/v1/…/extract`) and per person (the dashboard's "Answer in words"); 0 = no budget of its own.
 */
export const extractRateLimit = { HOLDPOINT_RATE_LIMIT_EXTRACT: z.coerce.number().int().min(0).default(30) }
