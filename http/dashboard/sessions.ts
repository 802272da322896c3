import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import { DashKeys, digest } from './keys.js'

/**
 * Sessions live in Redis with an expiry, so any server process can serve any request and
 * ending a session takes effect everywhere at once. The cookie holds a random id; Redis
 * holds only its digest.
 */
export type SessionData =
  | { kind: 'person'; personId: string; csrf: string; createdAt: number }
  /** A `?grant=` link: one checkpoint, acting as one channel recipient. */
  | { kind: 'grant'; checkpointId: string; channel: string; handle: string; csrf: string; createdAt: number }

type NewSession = SessionData extends infer S ? (S extends SessionData ? Omit<S, 'csrf' | 'createdAt'> : never) : never

export const SESSION_TTL_SECONDS = 12 * 60 * 60

export class SessionStore {
  private readonly keys: DashKeys

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.keys = new DashKeys(prefix)
  }

  async create(data: NewSession, ttlSeconds = SESSION_TTL_SECONDS): Promise<{ id: string; session: SessionData }> {
    const id = randomBytes(32).toString('base64url')
    const session: SessionData = { ...data, csrf: randomBytes(24).toString('base64url'), createdAt: Date.now() }
    const tx = this.redis.multi().set(this.keys.session(id), JSON.stringify(session), 'EX', ttlSeconds)
    if (session.kind === 'person') {
      tx.sadd(this.keys.sessionsOf(session.personId), digest(id)).expire(this.keys.sessionsOf(session.personId), SESSION_TTL_SECONDS)
    }
    await tx.exec()
    return { id, session }
  }

  /** Reads a session and slides its expiry forward (person sessions only; grants keep theirs). */
  async get(id: string): Promise<SessionData | null> {
    const key = this.keys.session(id)
    const raw = await this.redis.get(key)
    if (!raw) return null
    const session = JSON.parse(raw) as SessionData
    if (session.kind === 'person') await this.redis.expire(key, SESSION_TTL_SECONDS)
    return session
  }

  async destroy(id: string): Promise<void> {
    await this.redis.del(this.keys.session(id))
  }

  /** Ends every session of a person (password change, removal). */
  async destroyAllFor(personId: string): Promise<void> {
    const setKey = this.keys.sessionsOf(personId)
    const digests = await this.redis.smembers(setKey)
    const tx = this.redis.multi()
    for (const d of digests) tx.del(this.keys.sessionByDigest(d))
    await tx.del(setKey).exec()
  }
}
