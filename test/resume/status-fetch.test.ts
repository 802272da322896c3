import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { statusOnlyFetch, UnreachableError } from '../../engine/status-fetch.js'
import { freePort } from '../support/free-port.js'

let server: Server
let base = ''
const seen: Array<{ method: string; headers: Record<string, unknown>; body: string }> = []

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ method: req.method ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
      if (req.url === '/moved') return void res.writeHead(307, { location: '/elsewhere' }).end('moved')
      if (req.url === '/slow') return void setTimeout(() => res.writeHead(200).end(), 2_000)
      res.writeHead(410, 'Gone Away', { 'x-extra': 'yes' }).end('a body nobody reads')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
})

describe('statusOnlyFetch', () => {
  it('sends the method, headers and body; answers the status, status text and headers, without a body', async () => {
    const res = await statusOnlyFetch(`${base}/hook`, { method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: '{"a":1}' })
    expect([res.status, res.statusText, res.headers.get('x-extra'), res.body]).toEqual([410, 'Gone Away', 'yes', null])
    expect(seen.at(-1)).toMatchObject({ method: 'POST', headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' }, body: '{"a":1}' })
  })

  it('answers a redirect instead of following it', async () => {
    const before = seen.length
    const res = await statusOnlyFetch(`${base}/moved`, { method: 'POST', body: 'x' })
    expect([res.status, res.headers.get('location')]).toEqual([307, '/elsewhere'])
    expect(seen.length).toBe(before + 1)
  })

  it('names only the error code of an unreachable receiver, never its address', async () => {
    const port = await freePort()
    const error = await statusOnlyFetch(`http://127.0.0.1:${port}/secret-path?token=t`, { method: 'POST', body: 'x' }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(UnreachableError)
    expect((error as Error).message).toBe('the receiver could not be reached (ECONNREFUSED)')
  })

  it('gives up when its signal says so', async () => {
    const error = await statusOnlyFetch(`${base}/slow`, { method: 'POST', body: 'x', signal: AbortSignal.timeout(200) }).catch((e: unknown) => e)
    expect((error as Error).name).toBe('TimeoutError')
  })
})
