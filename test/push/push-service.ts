import { createECDH, createDecipheriv, createPublicKey, generateKeyPairSync, hkdfSync, randomBytes, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local push service, strict the way real ones are: it checks the VAPID JWT (RFC 8292:
 * ES256 signed with the key in `k=`, `aud` = the endpoint's origin, `exp` within 24 h, a
 * `sub`), and it decrypts the RFC 8291 aes128gcm body with the device's keys as a browser
 * would. Each device can be told what to answer next (410, 429, …).
 */
export interface FakeDevice {
  name: string
  endpoint: string
  /** What the browser's PushSubscription.toJSON() gives the page. */
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } }
  ecdh: ReturnType<typeof createECDH>
  auth: Buffer
}

export interface Received {
  device: string
  payload: Record<string, unknown>
  headers: { ttl: string | undefined; urgency: string | undefined; topic: string | undefined; encoding: string | undefined }
  bytes: number
}

export interface Refused {
  device: string
  status: number
  reason: string
}

type Reply = { status: number; headers?: Record<string, string> }

export function vapidKeyPair(): { publicKey: string; privateKey: string } {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const jwk = privateKey.export({ format: 'jwk' })
  const raw = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x ?? '', 'base64url'), Buffer.from(jwk.y ?? '', 'base64url')])
  return { publicKey: raw.toString('base64url'), privateKey: jwk.d ?? '' }
}

function rawP256ToKey(raw: Buffer) {
  return createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') }, format: 'jwk' })
}

/** RFC 8291 §3.4 + RFC 8188: one record, as browsers decrypt it. */
export function decryptAes128gcm(body: Buffer, device: Pick<FakeDevice, 'ecdh' | 'auth'>): Buffer {
  const salt = body.subarray(0, 16)
  const rs = body.readUInt32BE(16)
  const idlen = body.readUInt8(20)
  const senderKey = body.subarray(21, 21 + idlen)
  const record = body.subarray(21 + idlen)
  if (record.length > rs) throw new Error('more than one record')
  const uaPublic = device.ecdh.getPublicKey()
  const ecdhSecret = device.ecdh.computeSecret(senderKey)
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, senderKey])
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, device.auth, keyInfo, 32))
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16))
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12))
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce)
  decipher.setAuthTag(record.subarray(record.length - 16))
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()])
  // The last record ends in 0x02 then zero padding.
  let end = padded.length - 1
  while (end >= 0 && padded[end] === 0) end--
  if (padded[end] !== 2) throw new Error('bad padding delimiter')
  return padded.subarray(0, end)
}

/** The VAPID header's problem, or null when it is valid for this endpoint. */
export function vapidProblem(header: string | undefined, endpoint: string, now = Date.now()): string | null {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(header ?? '')
  if (!match) return 'no vapid authorization'
  const [, jwt, k] = match as unknown as [string, string, string]
  const [h, p, s] = jwt.split('.')
  if (!h || !p || !s) return 'malformed JWT'
  const head = JSON.parse(Buffer.from(h, 'base64url').toString()) as { alg?: string }
  if (head.alg !== 'ES256') return 'not ES256'
  const ok = verify('sha256', Buffer.from(`${h}.${p}`), { key: rawP256ToKey(Buffer.from(k, 'base64url')), dsaEncoding: 'ieee-p1363' }, Buffer.from(s, 'base64url'))
  if (!ok) return 'bad signature'
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as { aud?: string; exp?: number; sub?: string }
  if (claims.aud !== new URL(endpoint).origin) return `aud ${claims.aud} is not ${new URL(endpoint).origin}`
  if (typeof claims.exp !== 'number' || claims.exp * 1000 > now + 24 * 3600 * 1000 || claims.exp * 1000 < now) return 'exp outside 24 h'
  if (typeof claims.sub !== 'string' || !/^(mailto:|https:)/.test(claims.sub)) return 'no sub'
  return null
}

export class FakePushService {
  readonly received: Received[] = []
  readonly refused: Refused[] = []
  private readonly devices = new Map<string, FakeDevice>()
  private readonly replies = new Map<string, Reply[]>()
  private server: Server | null = null
  origin = ''

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(
        (reply) => {
          res.writeHead(reply.status, reply.headers ?? {})
          res.end()
        },
        () => {
          res.writeHead(500)
          res.end()
        },
      )
    })
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve))
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  device(name: string): FakeDevice {
    const ecdh = createECDH('prime256v1')
    ecdh.generateKeys()
    const auth = randomBytes(16)
    const endpoint = `${this.origin}/push/${name}-${randomBytes(6).toString('hex')}`
    const device: FakeDevice = { name, endpoint, ecdh, auth, subscription: { endpoint, keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: auth.toString('base64url') } } }
    this.devices.set(new URL(endpoint).pathname, device)
    return device
  }

  /** The next answers this device's endpoint gives, before the default 201. */
  answerNext(device: FakeDevice, ...replies: Reply[]): void {
    this.replies.set(new URL(device.endpoint).pathname, replies)
  }

  for(device: FakeDevice, type?: string): Received[] {
    return this.received.filter((r) => r.device === device.name && (type === undefined || r.payload.type === type))
  }

  private async handle(req: IncomingMessage): Promise<Reply> {
    const chunks: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
    const path = new URL(req.url ?? '/', this.origin).pathname
    const device = this.devices.get(path)
    if (!device) return { status: 404 }
    const queued = this.replies.get(path)?.shift()
    if (queued) {
      this.refused.push({ device: device.name, status: queued.status, reason: 'told to' })
      return queued
    }
    const problem = vapidProblem(req.headers.authorization, device.endpoint)
    if (problem) {
      this.refused.push({ device: device.name, status: 403, reason: problem })
      return { status: 403 }
    }
    if (req.headers['content-encoding'] !== 'aes128gcm') return { status: 415 }
    const body = Buffer.concat(chunks)
    const payload = JSON.parse(decryptAes128gcm(body, device).toString('utf8')) as Record<string, unknown>
    const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name]) : undefined)
    this.received.push({ device: device.name, payload, bytes: body.length, headers: { ttl: header('ttl'), urgency: header('urgency'), topic: header('topic'), encoding: header('content-encoding') } })
    return { status: 201 }
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}
