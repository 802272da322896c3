import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface SlackCall {
  method: string
  args: Record<string, any>
  /** What the fake answered (the body), so tests can find channel ids and message ts. */
  result: Record<string, any> | null
  status: number
  at: number
}

export interface FakeUser {
  id: string
  name: string
  email?: string
}

interface ScriptedReply {
  status: number
  headers?: Record<string, string>
  body?: Record<string, unknown>
}

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata'])

/**
 * A local HTTP server speaking the Slack Web API (`POST /api/<method>`): it records every call
 * and answers the way Slack does. `failNext` scripts one answer for a method (a 429 with
 * Retry-After, a platform error) before normal service resumes.
 */
export class FakeSlack {
  readonly calls: SlackCall[] = []
  private readonly scripted = new Map<string, ScriptedReply[]>()
  private server: Server | null = null
  private seq = 0
  url = ''

  constructor(readonly users: FakeUser[] = []) {}

  failNext(method: string, reply: ScriptedReply): void {
    const list = this.scripted.get(method) ?? []
    list.push(reply)
    this.scripted.set(method, list)
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method)
  }

  /** Calls of `method` whose arguments mention `text` anywhere (a checkpoint id, a user). */
  about(method: string, text: string): SlackCall[] {
    return this.callsTo(method).filter((c) => JSON.stringify(c.args).includes(text))
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? ''
    const args = parseArgs(req.headers['content-type'] ?? '', text)
    const call: SlackCall = { method, args, result: null, status: 200, at: Date.now() }
    this.calls.push(call)
    const scripted = this.scripted.get(method)?.shift()
    if (scripted) {
      call.status = scripted.status
      call.result = scripted.body ?? null
      res.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers })
      res.end(JSON.stringify(scripted.body ?? { ok: false, error: 'ratelimited' }))
      return
    }
    call.result = this.answer(method, args)
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(call.result))
  }

  private answer(method: string, args: Record<string, any>): Record<string, any> {
    const n = ++this.seq
    switch (method) {
      case 'auth.test':
        return { ok: true, user_id: 'UBOT', bot_id: 'BBOT' }
      case 'chat.postMessage': {
        const channel = String(args.channel)
        const id = channel.startsWith('#') ? `C${channel.slice(1).toUpperCase().replace(/[^A-Z0-9]/g, '')}` : channel
        return { ok: true, channel: id, ts: `1700000000.${String(n).padStart(6, '0')}`, message: { text: args.text } }
      }
      case 'chat.update':
        return { ok: true, channel: args.channel, ts: args.ts }
      case 'chat.postEphemeral':
        return { ok: true, message_ts: `1700000001.${String(n).padStart(6, '0')}` }
      case 'conversations.open':
        return { ok: true, channel: { id: `D${String(args.users)}` } }
      case 'users.lookupByEmail': {
        const user = this.users.find((u) => u.email === String(args.email).toLowerCase())
        return user ? { ok: true, user: { id: user.id, name: user.name, profile: { email: user.email } } } : { ok: false, error: 'users_not_found' }
      }
      case 'users.info': {
        const user = this.users.find((u) => u.id === args.user)
        return user ? { ok: true, user: { id: user.id, name: user.name, profile: { ...(user.email && { email: user.email }) } } } : { ok: false, error: 'user_not_found' }
      }
      case 'views.open':
        return { ok: true, view: { id: `V${n}`, hash: `h${n}` } }
      default:
        return { ok: false, error: 'unknown_method' }
    }
  }
}

function parseArgs(contentType: string, text: string): Record<string, any> {
  if (contentType.includes('application/json')) return text ? JSON.parse(text) : {}
  const out: Record<string, any> = {}
  for (const [key, value] of new URLSearchParams(text)) out[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value
  return out
}
