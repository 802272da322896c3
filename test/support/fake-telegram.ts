import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A local server speaking the Telegram Bot API wire format (`POST /bot<token>/<method>`,
 * urlencoded or JSON params, `{ok, result}` / `{ok:false, error_code, description,
 * parameters}` answers). It records every call, can fail chosen calls (429 with
 * retry_after, 403 bot blocked), and serves queued updates through long-polling getUpdates.
 */
export interface RecordedCall {
  method: string
  params: Record<string, any>
  at: number
  /** What the fake answered with, for successful calls (sendMessage: the Message). */
  result?: any
}

interface Failure {
  method: string
  match: (params: Record<string, any>) => boolean
  reply: { error_code: number; description: string; parameters?: { retry_after?: number } }
  left: number
}

export interface FakeTelegram {
  url: string
  token: string
  calls: RecordedCall[]
  callsTo(method: string): RecordedCall[]
  fail(method: string, reply: Failure['reply'], opts?: { times?: number; match?: (params: Record<string, any>) => boolean }): void
  /** Queues an update for getUpdates; update_ids increase from 1000. */
  pushUpdate(update: Record<string, unknown>): number
  /** The most getUpdates requests ever in flight at once (one poller at a time → 1). */
  maxConcurrentPolls: number
  close(): Promise<void>
}

async function readParams(req: IncomingMessage): Promise<Record<string, any>> {
  const chunks: Buffer[] = []
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
  const text = Buffer.concat(chunks).toString('utf8')
  if ((req.headers['content-type'] ?? '').includes('json')) return text ? (JSON.parse(text) as Record<string, any>) : {}
  const params: Record<string, any> = {}
  for (const [key, value] of new URLSearchParams(text)) {
    // Objects travel JSON-encoded inside the form, as the Bot API documents.
    params[key] = /^[[{]/.test(value) ? JSON.parse(value) : value
  }
  return params
}

export async function startFakeTelegram(token = '123456:TEST-token'): Promise<FakeTelegram> {
  const calls: RecordedCall[] = []
  const failures: Failure[] = []
  const updates: Array<Record<string, unknown> & { update_id: number }> = []
  let nextUpdateId = 1000
  let nextMessageId = 1
  let inFlightPolls = 0
  const fake = { maxConcurrentPolls: 0 } as FakeTelegram

  const server: Server = createServer((req, res) => {
    void (async () => {
      const match = /^\/bot([^/]+)\/(\w+)$/.exec(req.url ?? '')
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify(body))
      }
      if (!match || match[1] !== token) return send(401, { ok: false, error_code: 401, description: 'Unauthorized' })
      const method = match[2]!
      const params = await readParams(req)
      const call: RecordedCall = { method, params, at: Date.now() }
      calls.push(call)
      const failure = failures.find((f) => f.method === method && f.left > 0 && f.match(params))
      if (failure) {
        failure.left -= 1
        return send(failure.reply.error_code, { ok: false, ...failure.reply })
      }
      switch (method) {
        case 'sendMessage':
          call.result = { message_id: nextMessageId++, date: Math.floor(Date.now() / 1000), chat: { id: Number(params.chat_id), type: 'private' }, text: params.text }
          return send(200, { ok: true, result: call.result })
        case 'editMessageText':
          return send(200, { ok: true, result: { message_id: Number(params.message_id), date: 0, chat: { id: Number(params.chat_id), type: 'private' }, text: params.text } })
        case 'answerCallbackQuery':
          return send(200, { ok: true, result: true })
        case 'getUpdates': {
          inFlightPolls += 1
          fake.maxConcurrentPolls = Math.max(fake.maxConcurrentPolls, inFlightPolls)
          const offset = Number(params.offset ?? 0)
          const deadline = Date.now() + Math.min(Number(params.timeout ?? 0) * 1000, 300)
          let ready = updates.filter((u) => u.update_id >= offset)
          while (ready.length === 0 && Date.now() < deadline && !req.destroyed) {
            await new Promise((r) => setTimeout(r, 20))
            ready = updates.filter((u) => u.update_id >= offset)
          }
          inFlightPolls -= 1
          return send(200, { ok: true, result: ready })
        }
        default:
          return send(400, { ok: false, error_code: 400, description: `Bad Request: method ${method} not faked` })
      }
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const { port } = server.address() as AddressInfo
  return Object.assign(fake, {
    url: `http://127.0.0.1:${port}`,
    token,
    calls,
    callsTo: (method: string) => calls.filter((c) => c.method === method),
    fail(method: string, reply: Failure['reply'], opts: { times?: number; match?: (params: Record<string, any>) => boolean } = {}) {
      failures.push({ method, reply, left: opts.times ?? 1, match: opts.match ?? (() => true) })
    },
    pushUpdate(update: Record<string, unknown>) {
      const update_id = nextUpdateId++
      updates.push({ ...update, update_id })
      return update_id
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  })
}
