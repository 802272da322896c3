// The cryptographic primitives of Standard Webhooks, shared by signing (server, tests) and
// verifying (agents). WebCrypto only, so the same code runs in Node, Deno, Bun and workers.

const encoder = new TextEncoder()

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle as SubtleCrypto | undefined
  if (s === undefined) throw new Error('WebCrypto (globalThis.crypto.subtle) is not available in this runtime')
  return s
}

export function base64Encode(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

/** Decodes standard base64; `undefined` for anything that is not. */
export function base64Decode(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) return undefined
  try {
    const binary = atob(text)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return undefined
  }
}

const SECRET_PREFIX = 'whsec_'

/** The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in Standard Webhooks). */
export function secretKeyBytes(secret: string): Uint8Array | undefined {
  const body = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  const bytes = base64Decode(body)
  return bytes === undefined || bytes.length === 0 ? undefined : bytes
}

/** The signed content: `${id}.${timestamp}.` followed by the raw body bytes. */
export function signedContent(id: string, timestamp: string, body: string | Uint8Array): Uint8Array {
  const prefix = encoder.encode(`${id}.${timestamp}.`)
  const payload = typeof body === 'string' ? encoder.encode(body) : body
  const content = new Uint8Array(prefix.length + payload.length)
  content.set(prefix, 0)
  content.set(payload, prefix.length)
  return content
}

export async function hmacSha256(key: Uint8Array, content: Uint8Array): Promise<Uint8Array> {
  const cryptoKey = await subtle().importKey('raw', toArrayBuffer(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign'])
  return new Uint8Array(await subtle().sign('HMAC', cryptoKey, toArrayBuffer(content)))
}

// WebCrypto's typings want an ArrayBuffer-backed view; copying also detaches us from any
// caller-owned SharedArrayBuffer.
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new ArrayBuffer(bytes.byteLength)
  new Uint8Array(copy).set(bytes)
  return copy
}

/** Compares in time that depends only on the lengths, never on where the bytes first differ. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0)
  return difference === 0
}
