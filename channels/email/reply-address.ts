import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Keyring } from '../../engine/keyring.js'
import type { KeySpace } from '../../plugins/plugin.js'

/**
 * Signed reply sub-addresses: `approvals+<token>@example.com`. The token is a short random id
 * (the binding of checkpoint and recipient stays in Redis) followed by a truncated HMAC over
 * id, checkpoint and recipient, so it fits a 64-character local part and survives mail
 * systems that lower-case addresses (base32, lower case only). Editing the id finds no
 * binding; editing the MAC, or the binding in Redis, fails the check.
 */
export const REPLY_ADDRESS_PURPOSE = 'email-reply-address'

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567'
const ID_LENGTH = 10
const MAC_LENGTH = 16
const TOKEN = new RegExp(`^[a-z2-7]{${ID_LENGTH + MAC_LENGTH}}$`)

export interface ReplyBinding {
  cp: string
  /** The recipient's address, lower-cased. */
  to: string
}

export type ReplyAddressCheck =
  | { status: 'ok'; binding: ReplyBinding }
  /** No sub-address of the reply mailbox among the recipients: not a reply to Holdpoint. */
  | { status: 'none' }
  /** A token that names no binding (forged, mistyped, or long expired): no checkpoint to audit. */
  | { status: 'unknown' }
  /** A binding exists but the MAC does not match: someone edited the address. */
  | { status: 'tampered'; binding: ReplyBinding }

function base32(bytes: Buffer, length: number): string {
  let out = ''
  let bits = 0
  let value = 0
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
    value &= (1 << bits) - 1
  }
  return out
}

export function splitAddress(address: string): { local: string; domain: string } | null {
  const at = address.lastIndexOf('@')
  if (at <= 0 || at === address.length - 1) return null
  return { local: address.slice(0, at).toLowerCase(), domain: address.slice(at + 1).toLowerCase() }
}

export class ReplyAddresses {
  private readonly mailbox: { local: string; domain: string }

  constructor(
    private readonly keys: KeySpace,
    private readonly keyring: Keyring,
    /** HOLDPOINT_EMAIL_REPLY_TO. */
    mailbox: string,
  ) {
    const parts = splitAddress(mailbox)
    if (!parts) throw new Error('HOLDPOINT_EMAIL_REPLY_TO must be an address')
    this.mailbox = parts
  }

  private key(id: string): string {
    return this.keys.key('email', 'reply', id)
  }

  private mac(kid: string, id: string, binding: ReplyBinding): string | null {
    const mac = this.keyring.macWith(kid, REPLY_ADDRESS_PURPOSE, `${id}\n${binding.cp}\n${binding.to}`)
    return mac === undefined ? null : base32(Buffer.from(mac, 'base64url'), MAC_LENGTH)
  }

  /** A fresh sub-address for one recipient of one checkpoint, valid for `ttlSeconds`. */
  async mint(binding: ReplyBinding, ttlSeconds: number): Promise<string> {
    const id = base32(randomBytes(8), ID_LENGTH)
    const stored: ReplyBinding = { cp: binding.cp, to: binding.to.toLowerCase() }
    await this.keys.redis.set(this.key(id), JSON.stringify(stored), 'EX', Math.max(60, ttlSeconds))
    return `${this.mailbox.local}+${id}${this.mac(this.keyring.primaryKid, id, stored)!}@${this.mailbox.domain}`
  }

  /** The token of the first recipient that is a sub-address of the reply mailbox. */
  tokenIn(recipients: readonly string[]): string | null {
    for (const address of recipients) {
      const parts = splitAddress(address)
      if (!parts || parts.domain !== this.mailbox.domain || !parts.local.startsWith(`${this.mailbox.local}+`)) continue
      return parts.local.slice(this.mailbox.local.length + 1)
    }
    return null
  }

  async check(recipients: readonly string[]): Promise<ReplyAddressCheck> {
    const token = this.tokenIn(recipients)
    if (token === null) return { status: 'none' }
    if (!TOKEN.test(token)) return { status: 'unknown' }
    const id = token.slice(0, ID_LENGTH)
    const raw = await this.keys.redis.get(this.key(id))
    const binding = raw === null ? null : parseBinding(raw)
    if (!binding) return { status: 'unknown' }
    const given = Buffer.from(token.slice(ID_LENGTH))
    // Every key verifies, so a rotation does not orphan addresses already sent.
    const matches = this.keyring.keys.some(({ kid }) => {
      const expected = this.mac(kid, id, binding)
      return expected !== null && timingSafeEqual(Buffer.from(expected), given)
    })
    return matches ? { status: 'ok', binding } : { status: 'tampered', binding }
  }
}

function parseBinding(raw: string): ReplyBinding | null {
  try {
    const value = JSON.parse(raw) as Partial<ReplyBinding>
    return typeof value.cp === 'string' && typeof value.to === 'string' ? { cp: value.cp, to: value.to } : null
  } catch {
    return null
  }
}

