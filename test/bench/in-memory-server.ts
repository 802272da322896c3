/**
 * The ceiling of the HTTP path: the same request sequence as Holdpoint (create, read until
 * delivered, answer, signed resume webhook) with no durability, no queue and no validation
 * beyond JSON parsing. Run as its own process, like Holdpoint, so the two compare fairly.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import { webhookHeaders } from '../../sdk/webhook.js'

const port = Number(process.env.PORT ?? 0)
const token = process.env.TOKEN ?? ''
const secret = process.env.SECRET ?? ''

interface Cp {
  id: string
  state: string
  response: unknown
  hook: string | undefined
}
const checkpoints = new Map<string, Cp>()

async function body(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  for await (const c of req as AsyncIterable<Buffer>) chunks.push(c)
  return chunks.length ? JSON.parse(Buffer.concat(chunks).toString()) : {}
}

const server = createServer((req, res) => {
  void (async () => {
    if (req.headers.authorization !== `Bearer ${token}`) return res.writeHead(401).end()
    const send = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
    const m = /^\/v1\/checkpoints(?:\/([^/]+))?(?:\/(response))?$/.exec(req.url ?? '')
    if (!m) return send(404, {})
    if (req.method === 'POST' && !m[1]) {
      const b = (await body(req)) as { resume?: { webhook?: { url: string } } }
      const cp: Cp = { id: `cp_${randomUUID()}`, state: 'pending', response: null, hook: b.resume?.webhook?.url }
      checkpoints.set(cp.id, cp)
      setImmediate(() => (cp.state = 'delivered'))
      return send(201, cp)
    }
    const cp = checkpoints.get(m[1] ?? '')
    if (!cp) return send(404, {})
    if (req.method === 'GET') return send(200, cp)
    const b = (await body(req)) as { response: unknown }
    cp.state = 'resolved'
    cp.response = b.response
    send(200, cp)
    if (cp.hook) {
      const payload = JSON.stringify({ type: 'checkpoint.resolved', timestamp: new Date().toISOString(), data: { checkpointId: cp.id, state: cp.state, response: cp.response } })
      const headers = await webhookHeaders({ secret, id: `msg_${cp.id}`, body: payload })
      await fetch(cp.hook, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: payload })
    }
  })().catch(() => res.writeHead(500).end())
})
server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'))
