import { createHash } from 'node:crypto'
import type { RedisClient } from '../redis-client.js'
import type { RespondedBy } from '../../machine/types.js'
import type { FieldCipher } from '../field-cipher.js'

/** A person's "decide the same for the next N days", as kept until it expires or is revoked. */
export interface RememberedDecision {
  /** `rem_…`, derived from token and key, so a newer decision replaces the older one. */
  id: string
  /** The agent token name whose checkpoints it answers. */
  token: string
  key: string
  response: unknown
  /** The person whose answer it repeats. */
  decidedBy: RespondedBy
  /** The checkpoint they answered (its audit also records revocation). */
  checkpointId: string
  createdAt: number
  expiresAt: number
}

export const DAY_MS = 24 * 60 * 60 * 1000

const ID_PATTERN = /^rem_[\w-]{22}$/

export function rememberedId(token: string, key: string): string {
  return `rem_${createHash('sha256').update(`${token}\u0000${key}`).digest('base64url').slice(0, 22)}`
}

/**
 * Remembered decisions in Redis: one string per decision with a TTL of maxDays, and a sorted
 * set by expiry for listing. Reads also compare `expiresAt` with the engine's clock, so an
 * injected clock (tests, replays) sees expiry without waiting for Redis to drop the key.
 * The response is an answer, so it is sealed at rest like every other answer.
 */
export class RememberedStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly cipher: FieldCipher,
  ) {}

  private key(id: string): string {
    return `${this.prefix}:remembered:${id}`
  }

  private get index(): string {
    return `${this.prefix}:remembered`
  }

  async put(decision: Omit<RememberedDecision, 'id'>): Promise<RememberedDecision> {
    const stored: RememberedDecision = { id: rememberedId(decision.token, decision.key), ...decision }
    // Redis expires it on its own clock; never less than a second so SET accepts it.
    const ttlMs = Math.max(1000, decision.expiresAt - decision.createdAt)
    await this.redis
      .multi()
      .set(this.key(stored.id), JSON.stringify({ ...stored, response: this.cipher.seal(stored.response) }), 'PX', ttlMs)
      .zadd(this.index, decision.expiresAt, stored.id)
      .exec()
    return stored
  }

  async get(id: string, now: number): Promise<RememberedDecision | null> {
    if (!ID_PATTERN.test(id)) return null
    return this.decode(await this.redis.get(this.key(id)), now)
  }

  find(token: string, key: string, now: number): Promise<RememberedDecision | null> {
    return this.get(rememberedId(token, key), now)
  }

  /** Every decision still in force, soonest to expire first. */
  async list(now: number): Promise<RememberedDecision[]> {
    await this.redis.zremrangebyscore(this.index, '-inf', now)
    const ids = await this.redis.zrange(this.index, 0, -1)
    if (ids.length === 0) return []
    const raws = await this.redis.mget(ids.map((id) => this.key(id)))
    return raws.map((raw) => this.decode(raw, now)).filter((d): d is RememberedDecision => d !== null)
  }

  /** Removes it; the removed decision, or null when there was none in force. */
  async revoke(id: string, now: number): Promise<RememberedDecision | null> {
    const existing = await this.get(id, now)
    await this.redis.multi().del(this.key(id)).zrem(this.index, id).exec()
    return existing
  }

  private decode(raw: string | null, now: number): RememberedDecision | null {
    if (raw === null) return null
    const stored = JSON.parse(raw) as RememberedDecision
    if (stored.expiresAt <= now) return null
    return { ...stored, response: this.cipher.open(stored.response) }
  }
}
