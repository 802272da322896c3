import type { Keyring } from './keyring.js'

/**
 * Compact signed, expiring tokens for links sent to people (magic links, dashboard grants):
 * `<base64url claims>.<kid>.<mac>`. The key id travels inside so keys can rotate; the
 * purpose is bound into the MAC so a token minted for one use is useless for another.
 * Single use is the caller's job (e.g. a Redis SET NX on the token's nonce).
 */
export type TokenCheck<T> = { ok: true; claims: T & { exp: number } } | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' }

export function sealToken(keyring: Keyring, purpose: string, claims: Record<string, unknown>, ttlSeconds: number, now = Date.now()): string {
  const body = Buffer.from(JSON.stringify({ ...claims, exp: Math.floor(now / 1000) + ttlSeconds })).toString('base64url')
  const { kid, mac } = keyring.sign(purpose, body)
  return `${body}.${kid}.${mac}`
}

export function openToken<T extends Record<string, unknown>>(keyring: Keyring, purpose: string, token: string, now = Date.now()): TokenCheck<T> {
  const parts = token.split('.')
  if (parts.length !== 3) return { ok: false, reason: 'malformed' }
  const [body, kid, mac] = parts as [string, string, string]
  if (!keyring.verify(kid, purpose, body, mac)) return { ok: false, reason: 'bad_signature' }
  let claims: T & { exp: number }
  try {
    claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T & { exp: number }
  } catch {
    return { ok: false, reason: 'malformed' }
  }
  if (typeof claims.exp !== 'number' || claims.exp * 1000 < now) return { ok: false, reason: 'expired' }
  return { ok: true, claims }
}
