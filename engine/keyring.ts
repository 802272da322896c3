import { createHmac, timingSafeEqual } from 'node:crypto'

/**
 * The server's secret keys (`HOLDPOINT_SECRET_KEYS`): the first signs, every key verifies,
 * so keys rotate by prepending a new one. Each use derives its own sub-key so a MAC made for
 * one purpose (an audit chain) can never be replayed as another (a magic link).
 */
export interface SecretKey {
  kid: string
  key: Buffer
}

export class Keyring {
  private readonly byKid: Map<string, Buffer>
  // Every MAC would otherwise derive its sub-key again: a second HMAC on each audit entry and link.
  private readonly subKeys = new Map<string, Buffer>()

  constructor(readonly keys: readonly SecretKey[]) {
    if (keys.length === 0) throw new Error('a keyring needs at least one key')
    this.byKid = new Map(keys.map((k) => [k.kid, k.key]))
  }

  get primaryKid(): string {
    return this.keys[0]!.kid
  }

  private derived(kid: string, purpose: string): Buffer | undefined {
    const cacheKey = `${kid}\n${purpose}`
    const cached = this.subKeys.get(cacheKey)
    if (cached) return cached
    const key = this.byKid.get(kid)
    if (!key) return undefined
    const sub = createHmac('sha256', key).update(`holdpoint:${purpose}`).digest()
    this.subKeys.set(cacheKey, sub)
    return sub
  }

  /** MAC with the primary key; returns the kid used so verification can pick the key. */
  sign(purpose: string, data: string): { kid: string; mac: string } {
    const kid = this.primaryKid
    return { kid, mac: this.macWith(kid, purpose, data)! }
  }

  macWith(kid: string, purpose: string, data: string): string | undefined {
    return this.macBytes(kid, purpose, data)?.toString('base64url')
  }

  /** The MAC as bytes, for a caller that keeps only part of it. */
  macBytes(kid: string, purpose: string, data: string): Buffer | undefined {
    const key = this.derived(kid, purpose)
    return key && createHmac('sha256', key).update(data).digest()
  }

  verify(kid: string, purpose: string, data: string, mac: string): boolean {
    const expected = this.macWith(kid, purpose, data)
    if (expected === undefined) return false
    const a = Buffer.from(expected)
    const b = Buffer.from(mac)
    return a.length === b.length && timingSafeEqual(a, b)
  }
}

export function parseSecretKeys(value: string): SecretKey[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf(':')
      if (at <= 0) throw new Error('each key must be kid:base64key')
      const key = Buffer.from(part.slice(at + 1), 'base64')
      if (key.length < 32) throw new Error(`key ${part.slice(0, at)} must be at least 32 bytes`)
      return { kid: part.slice(0, at), key }
    })
}
