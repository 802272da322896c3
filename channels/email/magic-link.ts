import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import type { Keyring } from '../../engine/keyring.js'
import { openToken, sealToken, type TokenCheck } from '../../engine/signed-token.js'

/**
 * Email magic links: `/m/<token>`, a signed, expiring capability for one recipient on one
 * checkpoint. `a` is the index of the one-click answer the link offers, `v` for a
 * read-only view, or `p` for confirming the answer Holdpoint read from an email reply
 * (proposal `p`, kept server-side; `m` is the reply's Message-ID for the audit). Every link of one email shares a nonce, and acting burns it: one email,
 * one decision. `b` is a batch mail's "Approve all": `cp` is a member that names the batch
 * (with its agent token), `b` the batch id; it has a nonce of its own.
 */
export const MAGIC_LINK_PURPOSE = 'email-link'

export interface MagicLinkClaims {
  cp: string
  /** The recipient's address, lower-cased. */
  to: string
  a: number | 'v' | 'p' | 'b'
  n: string
  p?: string
  b?: string
  m?: string
  [claim: string]: unknown
}

export function newNonce(): string {
  return randomBytes(12).toString('base64url')
}

export { linkTtlSeconds } from '../common/link-ttl.js'

export function mintMagicLink(opts: { keyring: Keyring; publicUrl: string; claims: MagicLinkClaims; ttlSeconds: number; now?: number }): string {
  const token = sealToken(opts.keyring, MAGIC_LINK_PURPOSE, opts.claims, opts.ttlSeconds, opts.now)
  return `${opts.publicUrl.replace(/\/$/, '')}/m/${token}`
}

function wellFormed(c: Record<string, unknown>): boolean {
  if (typeof c.cp !== 'string' || typeof c.to !== 'string' || typeof c.n !== 'string') return false
  if (c.a === 'b') return typeof c.b === 'string'
  if (c.a === 'p') return typeof c.p === 'string' && (c.m === undefined || typeof c.m === 'string')
  return c.a === 'v' || (typeof c.a === 'number' && Number.isInteger(c.a) && c.a >= 0)
}

export function openMagicLink(keyring: Keyring, token: string, now = Date.now()): TokenCheck<MagicLinkClaims> {
  const opened = openToken<MagicLinkClaims>(keyring, MAGIC_LINK_PURPOSE, token, now)
  if (opened.ok && !wellFormed(opened.claims)) return { ok: false, reason: 'malformed' }
  return opened
}

/** Single use: a nonce is burned atomically (SET NX) just before the answer is sent. */
export class LinkUses {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private key(nonce: string) {
    return `${this.prefix}:email:link-used:${nonce}`
  }

  /** True when this call burned the nonce; false when it was already used. */
  async burn(claims: MagicLinkClaims, ttlSeconds: number): Promise<boolean> {
    const set = await this.redis.set(this.key(claims.n), String(claims.a), 'EX', Math.max(1, ttlSeconds), 'NX')
    return set === 'OK'
  }

  /** Gives the nonce back when the answer was not recorded (refused, invalid). */
  async restore(claims: MagicLinkClaims): Promise<void> {
    await this.redis.del(this.key(claims.n))
  }

  async used(claims: MagicLinkClaims): Promise<boolean> {
    return (await this.redis.exists(this.key(claims.n))) === 1
  }

  /** First open of a link (for the audit); a scanner fetching it again adds nothing. */
  async firstOpen(claims: MagicLinkClaims, ttlSeconds: number): Promise<boolean> {
    const set = await this.redis.set(`${this.prefix}:email:link-opened:${claims.n}:${String(claims.a)}`, '1', 'EX', Math.max(1, ttlSeconds), 'NX')
    return set === 'OK'
  }
}
