import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadConfig, type ResolvedConfig } from '../../ops/config.js'
import { createLogger } from '../../ops/logger.js'
import { startRuntime, type Runtime } from '../../ops/runtime.js'
import { freePort } from '../support/free-port.js'
import { approvalSchema, deleteKeys, eventually, randomPrefix, testRedisUrl, testSecrets } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

// The runtime is assembled here (not through startHoldpoint) so its logger writes to a buffer.
const lines: string[] = []
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
    done()
  },
})

const PAYLOAD_MARKER = `payload-marker-${randomBytes(6).toString('hex')}`
const ANSWER_MARKER = `answer-marker-${randomBytes(6).toString('hex')}`
const REASON_MARKER = `cancel-marker-${randomBytes(6).toString('hex')}`
let env: Record<string, string>
let runtime: Runtime
let url: string
let receiver: WebhookReceiver
let token: string

beforeAll(async () => {
  receiver = await new WebhookReceiver((n) => (n === 1 ? 500 : 200)).start()
  const port = await freePort()
  env = { REDIS_URL: testRedisUrl(), HOLDPOINT_KEY_PREFIX: randomPrefix(), HOLDPOINT_RESUME_FIRST_DELAY_MS: '50', HOLDPOINT_PORT: String(port), ...testSecrets() }
  const config = loadConfig(env) as ResolvedConfig
  token = config.apiTokens[0]!.token
  runtime = await startRuntime(config, { server: true, worker: true, logger: createLogger('trace', sink), announce: () => undefined })
  url = runtime.url!
})
afterAll(async () => {
  await runtime.close()
  await receiver.close()
  await deleteKeys(testRedisUrl(), env.HOLDPOINT_KEY_PREFIX!)
})

async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

describe('logs of a full lifecycle', () => {
  it('carry request, checkpoint, queue and job ids, and no secret, link, payload or answer', async () => {
    const created = await api(
      'POST',
      '/v1/checkpoints',
      { task: 'Approve the refund?', payload: { note: PAYLOAD_MARKER }, responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } }, metadata: { run: PAYLOAD_MARKER } },
      { 'idempotency-key': 'log-test', 'x-request-id': 'req-create-1' },
    )
    expect(created.status).toBe(201)
    const id = created.body.id as string
    await eventually(async () => (await api('GET', `/v1/checkpoints/${id}`)).body.state === 'delivered')
    const bad = await api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: 'yes', note: ANSWER_MARKER }, actor: 'ana@example.com' })
    expect(bad.status).toBe(422)
    const answered = await api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: ANSWER_MARKER }, actor: 'ana@example.com' }, { 'x-request-id': 'req-answer-1' })
    expect(answered.status).toBe(200)
    // The first resume attempt fails (500) and is retried: both are logged.
    await eventually(async () => receiver.received.length === 2, 15_000)
    await eventually(async () => (await api('GET', `/v1/checkpoints/${id}/audit`)).body.entries.some((e: { kind: string }) => e.kind === 'resumed'))
    const other = await api('POST', '/v1/checkpoints', { task: 'cancel me', payload: { note: PAYLOAD_MARKER }, responseSchema: approvalSchema })
    await api('POST', `/v1/checkpoints/${other.body.id}/cancel`, { reason: REASON_MARKER })
    await api('GET', `/v1/checkpoints/${id}/wait?timeoutSeconds=1`)
    await api('GET', '/v1/checkpoints/cp_doesnotexist')

    const text = lines.join('\n')
    const forbidden = [
      ...env.HOLDPOINT_API_TOKENS!.split(',').map((t) => t.split(':')[1]!),
      env.HOLDPOINT_WEBHOOK_SECRET!,
      env.HOLDPOINT_WEBHOOK_SECRET!.slice('whsec_'.length),
      env.HOLDPOINT_SECRET_KEYS!.split(':')[1]!,
      PAYLOAD_MARKER,
      ANSWER_MARKER,
      REASON_MARKER,
      receiver.url,
      created.body.links.dashboard as string,
      'webhook-signature',
      '/m/',
      'grant=',
    ]
    for (const secret of forbidden) expect(text, `logs contain ${secret}`).not.toContain(secret)

    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(parsed.length).toBeGreaterThan(5)
    // Every line written while serving a request carries its id; route lines their checkpoint.
    const http = parsed.filter((l) => l.component === 'http')
    expect(http.length).toBeGreaterThan(0)
    for (const line of http) expect(line.requestId, JSON.stringify(line)).toEqual(expect.any(String))
    expect(http.some((l) => l.requestId === 'req-answer-1' && l.checkpointId === id)).toBe(true)
    // Every line about a job names its queue, job and checkpoint.
    const jobLines = parsed.filter((l) => l.jobId !== undefined)
    expect(jobLines.map((l) => l.queue)).toEqual(expect.arrayContaining(['resume']))
    for (const line of jobLines) {
      expect(line.queue, JSON.stringify(line)).toEqual(expect.any(String))
      expect(line.checkpointId, JSON.stringify(line)).toEqual(expect.any(String))
    }
  })
})
