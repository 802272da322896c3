import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from './support/holdpoint.js'

let hp: TestHoldpoint

beforeAll(async () => {
  // The bare engine: no optional modules, so what they add is refused here.
  hp = await startHoldpoint({ plugins: [] })
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const refund = (extra: Record<string, unknown> = {}) => ({
  task: 'Approve a $250 refund for cus_42?',
  payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge' },
  payloadSchema: { type: 'object', properties: { amountUsd: { type: 'number' } } },
  responseSchema: approvalSchema,
  metadata: { runId: 'run_7' },
  ...extra,
})

/** Every job Holdpoint holds, in every queue: a replay must add none. */
async function allJobs(): Promise<number> {
  let total = 0
  for (const queue of hp.runtime.queues.all()) {
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'delayed', 'failed', 'prioritized')
    total += Object.values(counts).reduce((a, b) => a + b, 0)
  }
  return total
}

describe('POST /v1/checkpoints', () => {
  it('creates a checkpoint delivered on the dashboard by its own commit (one version, the same two audit entries)', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', refund())
    expect(res.status).toBe(201)
    expect(res.headers.get('location')).toBe(`/v1/checkpoints/${res.body.id}`)
    expect(res.body).toMatchObject({
      state: 'delivered',
      deliveredTo: ['dashboard'],
      version: 1,
      task: 'Approve a $250 refund for cus_42?',
      response: null,
      respondedBy: null,
      notify: ['dashboard'],
      assignTo: ['dashboard'],
      metadata: { runId: 'run_7' },
    })
    expect(res.body.id).toMatch(/^cp_/)
    expect(res.body.links.dashboard).toMatch(new RegExp(`/checkpoints/${res.body.id}$`))
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(24 * 3600 * 1000)
    expect((await hp.api('GET', `/v1/checkpoints/${res.body.id}`)).body).toMatchObject({ state: 'delivered', deliveredTo: ['dashboard'], version: 1 })
    const audit = (await hp.api('GET', `/v1/checkpoints/${res.body.id}/audit`)).body
    expect(audit.chain.intact).toBe(true)
    expect(audit.entries.map((e: { kind: string; state: string; data?: { recipient?: string } }) => [e.kind, e.state, e.data?.recipient])).toEqual([
      ['created', 'pending', undefined],
      ['delivered', 'delivered', 'dashboard'],
    ])
  })

  it('replays the same key and body with 200 and Idempotent-Replayed, sending nothing again', async () => {
    const key = `key-${Date.now()}`
    const first = await hp.api('POST', '/v1/checkpoints', refund(), { 'idempotency-key': key })
    expect(first.status).toBe(201)
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${first.body.id}`)).body.state === 'delivered')
    const jobsBefore = await allJobs()
    const auditBefore = (await hp.api('GET', `/v1/checkpoints/${first.body.id}/audit`)).body.entries.length
    const again = await hp.api('POST', '/v1/checkpoints', refund(), { 'idempotency-key': key })
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body.id).toBe(first.body.id)
    expect(again.body.idempotencyKey).toBe(key)
    // the body form of the key is the same key
    const viaBody = await hp.api('POST', '/v1/checkpoints', { ...refund(), idempotencyKey: key })
    expect(viaBody.status).toBe(200)
    expect(viaBody.body.id).toBe(first.body.id)
    await new Promise((r) => setTimeout(r, 200))
    expect(await allJobs()).toBe(jobsBefore)
    expect((await hp.api('GET', `/v1/checkpoints/${first.body.id}/audit`)).body.entries.length).toBe(auditBefore)
  })

  it('refuses the same key with a different body with 409', async () => {
    const key = `key-conflict-${Date.now()}`
    expect((await hp.api('POST', '/v1/checkpoints', refund(), { 'idempotency-key': key })).status).toBe(201)
    const other = await hp.api('POST', '/v1/checkpoints', refund({ task: 'Something else' }), { 'idempotency-key': key })
    expect(other.status).toBe(409)
    expect(other.headers.get('content-type')).toMatch(/application\/problem\+json/)
  })

  it('answers 422 naming every failing JSON path, and creates nothing', async () => {
    const before = (await hp.api('GET', '/v1/checkpoints?limit=200')).body.items.length
    const res = await hp.api('POST', '/v1/checkpoints', {
      task: '',
      responseSchema: { type: 'object', properties: { n: { type: 'nope' } } },
      notify: ['dashboard', 'pager:42'],
      timeoutSeconds: -5,
    })
    expect(res.status).toBe(422)
    expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/)
    const paths = res.body.errors.map((e: { path: string }) => e.path)
    expect(paths).toEqual(expect.arrayContaining(['/task', '/notify/1', '/timeoutSeconds']))
    const schemaBad = await hp.api('POST', '/v1/checkpoints', { task: 't', responseSchema: { type: 'object', properties: { n: { type: 'nope' } } } })
    expect(schemaBad.status).toBe(422)
    expect(schemaBad.body.errors[0].path).toBe('/responseSchema')
    const payloadBad = await hp.api('POST', '/v1/checkpoints', refund({ payload: { amountUsd: 'lots' } }))
    expect(payloadBad.status).toBe(422)
    expect(payloadBad.body.errors).toEqual([{ path: '/payload/amountUsd', message: 'must be number' }])
    const defaultBad = await hp.api('POST', '/v1/checkpoints', refund({ onTimeout: { response: { approved: 'no' } } }))
    expect(defaultBad.status).toBe(422)
    expect(defaultBad.body.errors[0].path).toBe('/onTimeout/response/approved')
    const unknownField = await hp.api('POST', '/v1/checkpoints', refund({ colour: 'red' }))
    expect(unknownField.status).toBe(422)
    expect((await hp.api('GET', '/v1/checkpoints?limit=200')).body.items.length).toBe(before)
  })

  it('refuses what this server cannot honour instead of silently ignoring it', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', refund({ notify: ['slack:#approvals'], resume: { inngest: {} } }))
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/notify/0', message: 'the slack channel is not enabled on this server' },
        { path: '/resume/inngest', message: 'resume target inngest is not enabled on this server' },
      ]),
    )
  })

  it('refuses an escalation to a channel that is off here, naming the field, and an unknown recipient syntax', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', refund({ escalation: [{ afterSeconds: 60, notify: ['telegram:42'], assignTo: ['fax:555'] }] }))
    expect(res.status).toBe(422)
    expect(res.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/escalation/0/notify/0', message: 'the telegram channel is not enabled on this server' },
        { path: '/escalation/0/assignTo/0', message: expect.stringMatching(/^expected .*email:person@example\.com/) },
      ]),
    )
  })

  it('answers 400 for malformed JSON, 413 over the body limit, 415 for non-JSON, 401 without a token', async () => {
    expect((await hp.api('POST', '/v1/checkpoints', '{"task": ')).status).toBe(400)
    const big = await hp.api('POST', '/v1/checkpoints', refund({ payload: { blob: 'x'.repeat(1024 * 1024) } }))
    expect(big.status).toBe(413)
    const form = await hp.api('POST', '/v1/checkpoints', 'task=x', { 'content-type': 'application/x-www-form-urlencoded' })
    expect(form.status).toBe(415)
    const anon = await fetch(`${hp.url}/v1/checkpoints`, { method: 'POST', body: JSON.stringify(refund()) })
    expect(anon.status).toBe(401)
    expect(anon.headers.get('www-authenticate')).toMatch(/Bearer/)
    const wrong = await fetch(`${hp.url}/v1/checkpoints/cp_x`, { headers: { authorization: 'Bearer not-a-real-token-at-all' } })
    expect(wrong.status).toBe(401)
  })
})

describe('reading, answering, cancelling', () => {
  it('gets one checkpoint, 404s an unknown one, and lists newest first with cursors', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await hp.api('POST', '/v1/checkpoints', refund({ task: `list ${i}` }))).body.id)
    expect((await hp.api('GET', `/v1/checkpoints/${ids[0]}`)).body.task).toBe('list 0')
    expect((await hp.api('GET', '/v1/checkpoints/cp_0000000000000000000000000')).status).toBe(404)
    const page1 = await hp.api('GET', '/v1/checkpoints?limit=2')
    expect(page1.body.items.map((c: { id: string }) => c.id)).toEqual([ids[4], ids[3]])
    const page2 = await hp.api('GET', `/v1/checkpoints?limit=2&cursor=${page1.body.nextCursor}`)
    expect(page2.body.items.map((c: { id: string }) => c.id)).toEqual([ids[2], ids[1]])
    expect((await hp.api('GET', '/v1/checkpoints?state=bogus')).status).toBe(422)
  })

  it('validates an answer against responseSchema (422, unchanged), applies a valid one, 409s the next', async () => {
    const { body: cp } = await hp.api('POST', '/v1/checkpoints', refund())
    const bad = await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: 'yes' }, actor: 'ana@example.com' })
    expect(bad.status).toBe(422)
    expect(bad.body.errors).toEqual([{ path: '/response/approved', message: 'must be boolean' }])
    const missing = await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { actor: 'ana@example.com' })
    expect(missing.status).toBe(422)
    expect(missing.body.errors[0].path).toBe('/response')
    const still = await hp.api('GET', `/v1/checkpoints/${cp.id}`)
    expect(still.body.response).toBeNull()
    expect(['pending', 'delivered']).toContain(still.body.state)

    const ok = await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true, note: 'ok' }, actor: 'ana@example.com', name: 'Ana' })
    expect(ok.status).toBe(200)
    expect(ok.body).toMatchObject({ state: 'resolved', response: { approved: true, note: 'ok' }, respondedBy: { channel: 'api', actor: 'ana@example.com', name: 'Ana', via: 'agent' } })
    const again = await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: false }, actor: 'bob' })
    expect(again.status).toBe(409)
    expect(again.body.reason).toBe('terminal')
    expect((await hp.api('POST', `/v1/checkpoints/${cp.id}/cancel`, {})).status).toBe(409)
  })

  it('cancels, and records every step in a hash-chained audit', async () => {
    const { body: cp } = await hp.api('POST', '/v1/checkpoints', refund())
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.state === 'delivered')
    const cancelled = await hp.api('POST', `/v1/checkpoints/${cp.id}/cancel`, { reason: 'customer withdrew' })
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.state).toBe('cancelled')
    const refused = await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true }, actor: 'late@example.com' })
    expect(refused.status).toBe(409)
    const audit = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
    expect(audit.body.chain).toEqual({ intact: true })
    const kinds = audit.body.entries.map((e: { kind: string }) => e.kind)
    expect(kinds).toEqual(['created', 'delivered', 'cancelled', 'refused'])
    const [created, , cancel, refusal] = audit.body.entries
    expect(created.actor).toEqual({ channel: 'api', actor: 'agent' })
    expect(created.shownHash).toMatch(/^[0-9a-f]{64}$/)
    expect(cancel.data).toEqual({ reason: 'customer withdrew' })
    expect(refusal).toMatchObject({ actor: { channel: 'api', actor: 'late@example.com' }, data: { reason: 'terminal', attempted: 'answered' } })
    audit.body.entries.forEach((e: { prev: string; seq: number }, i: number) => {
      expect(e.seq).toBe(i)
      if (i > 0) expect(e.prev).toBe(audit.body.entries[i - 1].hash)
    })
  })

  it('shows tampering with a stored audit entry as a broken chain', async () => {
    const { body: cp } = await hp.api('POST', '/v1/checkpoints', refund())
    await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: false }, actor: 'ana' })
    const key = `${hp.prefix}:audit:{${cp.id}}`
    // Someone with write access to Redis rewrites who answered.
    const stored = (await hp.redis.lrange(key, 0, -1)).map((line) => JSON.parse(line))
    const i = stored.findIndex((e) => e.k === 'answered')
    // A stored (v2) actor with more than channel and id keeps them under short names (engine/audit-format.ts).
    expect(stored[i].a).toMatchObject({ c: 'api', a: 'ana' })
    stored[i].a.a = 'someone-else'
    await hp.redis.lset(key, i, JSON.stringify(stored[i]))
    const audit = await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)
    expect(audit.body.chain).toMatchObject({ intact: false, brokenAt: i })
  })
})

describe('operations endpoints', () => {
  it('serves healthz, readyz (Redis and a worker heartbeat) and Prometheus metrics', async () => {
    expect((await fetch(`${hp.url}/healthz`)).status).toBe(200)
    const ready = await eventually(async () => {
      const r = await fetch(`${hp.url}/readyz`)
      return r.status === 200 && ((await r.json()) as { checks: Record<string, string> })
    })
    expect(ready.checks).toEqual({ redis: 'ok', workers: 'ok' })
    const metrics = await (await fetch(`${hp.url}/metrics`)).text()
    expect(metrics).toMatch(/holdpoint_checkpoints_created_total\{channel="dashboard"\} \d+/)
    expect(metrics).toMatch(/holdpoint_transitions_total\{event="checkpoint.answer",to="resolved"\} \d+/)
    expect(metrics).toMatch(/holdpoint_queue_jobs\{queue="timers",state="delayed"\} \d+/)
  })

  it('answers unknown routes with problem+json 404', async () => {
    const res = await fetch(`${hp.url}/nope`)
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/problem\+json/)
  })
})
