import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { inspectorPlugin } from '../../ops/inspector.js'
import { freePort } from '../support/free-port.js'
import { approvalSchema, deleteKeys, eventually, randomPrefix, startHoldpoint, testRedisUrl, testSecrets, type TestHoldpoint } from '../support/holdpoint.js'

interface Message {
  type: string
  sessionId: string
  event?: { type: string; recipient?: string }
  snapshot?: { value: unknown; status: string; context: Record<string, unknown> }
  definition?: string
}

let server: TestHoldpoint
let worker: TestHoldpoint
let socket: WebSocket
let port: number
const received: Message[] = []

beforeAll(async () => {
  port = await freePort()
  const env = { REDIS_URL: testRedisUrl(), HOLDPOINT_KEY_PREFIX: randomPrefix(), ...testSecrets(), HOLDPOINT_INSPECT_PORT: String(port) }
  // The API without workers, and workers without an API: deliveries are committed elsewhere.
  server = await startHoldpoint({ env, worker: false, plugins: [inspectorPlugin] })
  worker = await startHoldpoint({ env, server: false, plugins: [] })
  socket = new WebSocket(`ws://127.0.0.1:${port}`)
  socket.on('message', (data: Buffer) => received.push(JSON.parse(data.toString('utf8')) as Message))
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
})
afterAll(async () => {
  socket.close()
  await worker.close()
  await server.close()
  await deleteKeys(testRedisUrl(), server.prefix)
})

describe('Stately inspector relay', () => {
  it('streams each checkpoint as an actor with its events and snapshots, without payloads or answers', async () => {
    const secret = `marker-${randomBytes(6).toString('hex')}`
    const cp = (await server.api('POST', '/v1/checkpoints', { task: `task ${secret}`, payload: { secret }, responseSchema: approvalSchema, onTimeout: { response: { approved: false, note: secret } } })).body
    await eventually(async () => (await server.api('GET', `/v1/checkpoints/${cp.id}`)).body.state === 'delivered')
    expect((await server.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true, note: secret }, actor: 'ana@example.com' })).status).toBe(200)

    const mine = await eventually(async () => {
      const list = received.filter((m) => m.sessionId === cp.id)
      return list.some((m) => m.type === '@xstate.snapshot' && m.snapshot?.value === 'resolved') && list
    })
    const actors = mine.filter((m) => m.type === '@xstate.actor')
    expect(actors).toHaveLength(1)
    expect(JSON.parse(actors[0]!.definition!)).toMatchObject({ id: 'checkpoint' })
    const events = mine.filter((m) => m.type === '@xstate.event').map((m) => m.event!)
    expect(events.map((e) => e.type)).toEqual(['checkpoint.delivered', 'checkpoint.answer'])
    expect(events[0]!.recipient).toBe('dashboard')
    const last = mine.filter((m) => m.type === '@xstate.snapshot').at(-1)!
    expect(last.snapshot).toMatchObject({ value: 'resolved', status: 'done', context: { id: cp.id, deliveredTo: ['dashboard'], respondedBy: { actor: 'ana@example.com' } } })
    expect(last.snapshot!.context).not.toHaveProperty('response')
    expect(JSON.stringify(mine)).not.toContain(secret)
  })

  it('is off when HOLDPOINT_INSPECT_PORT is unset', async () => {
    const plain = await startHoldpoint({ worker: false, plugins: [inspectorPlugin] })
    try {
      expect(plain.runtime.plugins).not.toContain('inspector')
    } finally {
      await plain.close()
      await deleteKeys(testRedisUrl(), plain.prefix)
    }
  })
})
