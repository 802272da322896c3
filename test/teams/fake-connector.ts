import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ConnectorCall {
  method: string
  path: string
  /** Conversation id from the path (decoded), when the call is about one. */
  conversation?: string
  activityId?: string
  body: any
  status: number
  /** What the fake answered (the new activity's id for a post). */
  result?: any
  auth: string | undefined
  at: number
}

interface ScriptedReply {
  status: number
  headers?: Record<string, string>
  body?: unknown
}

export interface FakeMember {
  id: string
  aadObjectId: string
  name: string
  userPrincipalName: string
}

const ACCESS_TOKEN = 'fake-bot-access-token'
const ISSUER = 'https://api.botframework.com'

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** An RS256 JWT signed with `key`, the way the Bot Framework signs activities it posts to a bot. */
export function signJwt(key: KeyObject, kid: string, claims: Record<string, unknown>): string {
  const head = `${b64url({ alg: 'RS256', typ: 'JWT', kid })}.${b64url(claims)}`
  const signature = createSign('RSA-SHA256').update(head).sign(key).toString('base64url')
  return `${head}.${signature}`
}

/**
 * A local Bot Framework for tests, on one port: the login endpoint that issues the bot's
 * token (`/<tenant>/oauth2/v2.0/token`), the OpenID metadata and JWKS whose key signs inbound
 * activities, and the Bot Connector conversations API the bot posts to (`/v3/…`). Every call
 * is recorded; `failNext` scripts one answer (a 429 with Retry-After, a 404).
 */
export class FakeConnector {
  readonly calls: ConnectorCall[] = []
  readonly tokenRequests: Array<Record<string, string>> = []
  readonly kid = 'hp-test-key'
  private readonly keys = generateKeyPairSync('rsa', { modulusLength: 2048 })
  private readonly scripted: Array<{ match: (c: ConnectorCall) => boolean; reply: ScriptedReply }> = []
  private readonly members = new Map<string, FakeMember>()
  private server: Server | null = null
  private seq = 0
  url = ''

  constructor(readonly appId: string) {}

  get serviceUrl(): string {
    return `${this.url}/`
  }

  addMember(member: FakeMember): void {
    this.members.set(member.id, member)
  }

  /** The next call that `match`es gets `reply` instead of the normal answer. */
  failNext(match: (c: ConnectorCall) => boolean, reply: ScriptedReply): void {
    this.scripted.push({ match, reply })
  }

  /** A bearer token for an inbound activity, signed with the published key unless told otherwise. */
  token(claims: Record<string, unknown> = {}, opts: { key?: KeyObject; kid?: string } = {}): string {
    const now = Math.floor(Date.now() / 1000)
    return signJwt(opts.key ?? this.keys.privateKey, opts.kid ?? this.kid, { iss: ISSUER, aud: this.appId, serviceurl: this.serviceUrl, nbf: now - 10, exp: now + 600, ...claims })
  }

  /** Activities the bot posted into a conversation (new messages, and replies to `activityId`). */
  posted(conversation?: string): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'POST' && /\/activities(\/[^/]+)?$/.test(c.path) && c.status < 300 && (conversation === undefined || c.conversation === conversation))
  }

  updates(activityId: string): ConnectorCall[] {
    return this.calls.filter((c) => c.method === 'PUT' && c.activityId === activityId && c.status < 300)
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      void this.handle(req, res)
    })
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`
    return this
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }

  private send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers })
    res.end(body === undefined ? '' : JSON.stringify(body))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const path = (req.url ?? '').split('?')[0] ?? ''
    const method = req.method ?? 'GET'

    if (method === 'GET' && path === '/openid') {
      return this.send(res, 200, { issuer: ISSUER, jwks_uri: `${this.url}/keys`, id_token_signing_alg_values_supported: ['RS256'], token_endpoint_auth_methods_supported: ['private_key_jwt'] })
    }
    if (method === 'GET' && path === '/keys') {
      const jwk = this.keys.publicKey.export({ format: 'jwk' })
      return this.send(res, 200, { keys: [{ kty: 'RSA', use: 'sig', kid: this.kid, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }] })
    }
    if (method === 'POST' && /^\/[^/]+\/oauth2\/v2\.0\/token$/.test(path)) {
      const form = Object.fromEntries(new URLSearchParams(text))
      this.tokenRequests.push({ ...form, tenant: decodeURIComponent(path.split('/')[1] ?? '') })
      if (form.client_id !== this.appId || form.client_secret !== 'bot-password' || form.grant_type !== 'client_credentials') return this.send(res, 401, { error: 'invalid_client' })
      return this.send(res, 200, { token_type: 'Bearer', expires_in: 3600, access_token: ACCESS_TOKEN })
    }

    const match = /^\/v3\/conversations\/([^/]+)(?:\/(activities|members)(?:\/([^/]+))?)?$/.exec(path)
    const call: ConnectorCall = {
      method,
      path,
      ...(match?.[1] && { conversation: decodeURIComponent(match[1]) }),
      ...(match?.[3] && { activityId: decodeURIComponent(match[3]) }),
      body: text ? JSON.parse(text) : null,
      status: 200,
      auth: req.headers.authorization,
      at: Date.now(),
    }
    this.calls.push(call)
    if (!match) return this.reply(res, call, 404, { error: { code: 'NotFound' } })
    if (req.headers.authorization !== `Bearer ${ACCESS_TOKEN}`) return this.reply(res, call, 401, { error: { code: 'Unauthorized' } })
    const scripted = this.scripted.findIndex((s) => s.match(call))
    if (scripted !== -1) {
      const reply = this.scripted.splice(scripted, 1)[0]!.reply
      return this.reply(res, call, reply.status, reply.body ?? { error: { code: 'Scripted' } }, reply.headers)
    }
    if (match[2] === 'members') {
      const member = this.members.get(call.activityId ?? '')
      return member ? this.reply(res, call, 200, member) : this.reply(res, call, 404, { error: { code: 'MemberNotFound' } })
    }
    if (method === 'POST') return this.reply(res, call, 201, { id: `act-${++this.seq}` })
    if (method === 'PUT') return this.reply(res, call, 200, { id: call.activityId })
    return this.reply(res, call, 405, { error: { code: 'MethodNotAllowed' } })
  }

  private reply(res: ServerResponse, call: ConnectorCall, status: number, body: unknown, headers?: Record<string, string>): void {
    call.status = status
    call.result = body
    this.send(res, status, body, headers)
  }
}
