import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders
  body: string
  at: number
}

/**
 * A local HTTP server standing in for an agent's webhook endpoint. `respond` scripts the
 * status of each call (in order), so retries, 410s and slow receivers can be staged.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = []
  private server: Server | null = null
  url = ''

  constructor(private readonly respond: (n: number, hook: ReceivedWebhook) => number | Promise<number> = () => 200) {}

  async start(port = 0): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() }
        this.received.push(hook)
        void Promise.resolve(this.respond(this.received.length, hook)).then((status) => {
          if (!res.destroyed) res.writeHead(status).end()
        })
      })
    })
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve))
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`
    return this
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections()
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()))
  }
}
