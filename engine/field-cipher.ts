import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import type { Keyring } from './keyring.js'

/**
 * Encryption at rest for what people and agents say: payloads, answers, free text. Values
 * are sealed with AES-256-GCM under a key derived from HOLDPOINT_SECRET_KEYS; the key id is
 * stored with each value, so adding a key (first = current) keeps old values readable.
 * A sealed value is `{ "$sealed": "<kid>.<iv>.<tag>.<ciphertext>" }` in place of the value.
 */
export interface Sealed {
  $sealed: string
}

export function isSealed(value: unknown): value is Sealed {
  return value !== null && typeof value === 'object' && typeof (value as Sealed).$sealed === 'string'
}

export class FieldCipher {
  private readonly keys = new Map<string, Buffer>()

  constructor(private readonly keyring: Keyring) {
    for (const { kid, key } of keyring.keys) this.keys.set(kid, createHmac('sha256', key).update('holdpoint:field-encryption').digest())
  }

  seal(value: unknown): unknown {
    if (value === undefined || value === null || isSealed(value)) return value
    const kid = this.keyring.primaryKid
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(kid)!, iv)
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    const sealed: Sealed = { $sealed: [kid, iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.') }
    return sealed
  }

  open(value: unknown): unknown {
    if (!isSealed(value)) return value
    const [kid, iv, tag, body] = value.$sealed.split('.')
    const key = kid === undefined ? undefined : this.keys.get(kid)
    if (!key || iv === undefined || tag === undefined || body === undefined) throw new Error(`cannot open a value sealed with unknown key ${kid ?? '?'}`)
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()])
    return JSON.parse(plain.toString('utf8')) as unknown
  }
}
