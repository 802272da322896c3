import { createCipheriv, createDecipheriv, createHmac } from 'node:crypto'
import { pooledRandomBytes } from './random-pool.js'
import type { Keyring } from './keyring.js'

/**
 * Encryption at rest for what people and agents say: payloads, answers, free text. Values
 * are sealed with AES-256-GCM under a key derived from HOLDPOINT_SECRET_KEYS; the key id is
 * stored with each value, so adding a key (first = current) keeps old values readable.
 * A sealed value is `{ "$sealed": "<kid>.<iv>.<tag>.<ciphertext>" }` in place of the value.
 * Audit entries (v2) name their key once for many entries, so theirs is a bare blob:
 * base64url of iv, tag and ciphertext, opened with the key id the entry resolves to.
 */
export interface Sealed {
  $sealed: string
}

export function isSealed(value: unknown): value is Sealed {
  return value !== null && typeof value === 'object' && typeof (value as Sealed).$sealed === 'string'
}

const IV_BYTES = 12
const TAG_BYTES = 16

export class FieldCipher {
  private readonly keys = new Map<string, Buffer>()

  constructor(private readonly keyring: Keyring) {
    for (const { kid, key } of keyring.keys) this.keys.set(kid, createHmac('sha256', key).update('holdpoint:field-encryption').digest())
  }

  seal(value: unknown): unknown {
    if (value === undefined || value === null || isSealed(value)) return value
    const kid = this.keyring.primaryKid
    const { iv, tag, body } = this.encrypt(kid, value)
    const sealed: Sealed = { $sealed: [kid, iv.toString('base64url'), tag.toString('base64url'), body.toString('base64url')].join('.') }
    return sealed
  }

  open(value: unknown): unknown {
    if (!isSealed(value)) return value
    const [kid, iv, tag, body] = value.$sealed.split('.')
    if (kid === undefined || iv === undefined || tag === undefined || body === undefined) throw new Error(`cannot open a value sealed with unknown key ${kid ?? '?'}`)
    return this.decrypt(kid, Buffer.from(iv, 'base64url'), Buffer.from(tag, 'base64url'), Buffer.from(body, 'base64url'))
  }

  /** `value` sealed under `kid` as one base64url string that does not name the key. */
  sealBlob(kid: string, value: unknown): string {
    const { iv, tag, body } = this.encrypt(kid, value)
    return Buffer.concat([iv, tag, body]).toString('base64url')
  }

  openBlob(kid: string, blob: string): unknown {
    const bytes = Buffer.from(blob, 'base64url')
    return this.decrypt(kid, bytes.subarray(0, IV_BYTES), bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES), bytes.subarray(IV_BYTES + TAG_BYTES))
  }

  private encrypt(kid: string, value: unknown): { iv: Buffer; tag: Buffer; body: Buffer } {
    const key = this.keys.get(kid)
    if (!key) throw new Error(`cannot seal with unknown key ${kid}`)
    const iv = pooledRandomBytes(IV_BYTES)
    const cipher = createCipheriv('aes-256-gcm', key, iv)
    const body = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()])
    return { iv, tag: cipher.getAuthTag(), body }
  }

  private decrypt(kid: string, iv: Buffer, tag: Buffer, body: Buffer): unknown {
    const key = this.keys.get(kid)
    if (!key) throw new Error(`cannot open a value sealed with unknown key ${kid}`)
    const decipher = createDecipheriv('aes-256-gcm', key, iv)
    decipher.setAuthTag(tag)
    const plain = Buffer.concat([decipher.update(body), decipher.final()])
    return JSON.parse(plain.toString('utf8')) as unknown
  }
}
