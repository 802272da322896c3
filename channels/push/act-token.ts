import { randomBytes } from 'node:crypto'
import type { Keyring } from '../../engine/keyring.js'
import { openToken, sealToken, type TokenCheck } from '../../engine/signed-token.js'
import type { KeySpace } from '../../plugins/plugin.js'

/**
 * The lock-screen answer capability: signed, expiring, bound to one checkpoint, one person
 * and one device, and single-use through its nonce (both buttons of one notification share
 * it: one notification, one decision). Only the service worker of the device it was sent to
 * holds it, inside the encrypted push.
 */
export const ACT_PURPOSE = 'push-act'

export interface ActClaims {
  cp: string
  /** Person id. */
  p: string
  /** Device id (hash of the endpoint). */
  d: string
  n: string
  [claim: string]: unknown
}

const GRACE_SECONDS = 60 * 60
const MAX_TTL_SECONDS = 7 * 24 * 60 * 60

/** Until the checkpoint's deadline (plus a little), at most a week. */
export function actTtlSeconds(expiresAt: string, now = Date.now()): number {
  const untilDeadline = Math.ceil((Date.parse(expiresAt) - now) / 1000)
  return Math.min(MAX_TTL_SECONDS, Math.max(60, untilDeadline) + GRACE_SECONDS)
}

export function mintActToken(keyring: Keyring, claims: Omit<ActClaims, 'n'>, ttlSeconds: number): string {
  return sealToken(keyring, ACT_PURPOSE, { ...claims, n: randomBytes(12).toString('base64url') }, ttlSeconds)
}

export function openActToken(keyring: Keyring, token: string): TokenCheck<ActClaims> {
  const opened = openToken<ActClaims>(keyring, ACT_PURPOSE, token)
  if (!opened.ok) return opened
  const c = opened.claims
  const wellFormed = typeof c.cp === 'string' && typeof c.p === 'string' && typeof c.d === 'string' && typeof c.n === 'string'
  return wellFormed ? opened : { ok: false, reason: 'malformed' }
}

/** Burns a token's nonce (SET NX); gives it back when the answer was not recorded. */
export class ActUses {
  constructor(private readonly keys: KeySpace) {}

  private key(nonce: string) {
    return this.keys.key('push', 'act-used', nonce)
  }

  async burn(claims: ActClaims & { exp: number }): Promise<boolean> {
    const ttl = Math.max(1, claims.exp - Math.floor(Date.now() / 1000))
    return (await this.keys.redis.set(this.key(claims.n), '1', 'EX', ttl, 'NX')) === 'OK'
  }

  async restore(claims: ActClaims): Promise<void> {
    await this.keys.redis.del(this.key(claims.n))
  }
}
