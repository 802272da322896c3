import { randomBytes } from 'node:crypto'
import { InngestTestEngine, mockCtx } from '@inngest/test'
import { Inngest } from 'inngest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { askInStep, HOLDPOINT_INNGEST_EVENT } from '../../sdk/inngest.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { JsonServer } from './wire-servers.js'

const EVENT_KEY = `test-key-${randomBytes(8).toString('hex')}`
let failNext = 0
// The Inngest Event API: POST /e/:key with an array of events, answering { ids, status }.
const inngest = new JsonServer((req) => {
  if (failNext > 0) {
    failNext--
    return { status: 500, body: { error: 'try again' } }
  }
  const events = req.body as Array<{ id: string }>
  return { status: 200, body: { ids: events.map((e) => e.id), status: 200 } }
})
let hp: TestHoldpoint

beforeAll(async () => {
  await inngest.start()
  hp = await startHoldpoint({ env: { INNGEST_EVENT_KEY: EVENT_KEY, INNGEST_BASE_URL: inngest.url } })
})
afterAll(async () => {
  await hp.close()
  await inngest.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

interface SentEvent {
  id: string
  name: string
  data: Record<string, unknown>
  ts: number
}
const sentFor = (id: string): SentEvent[] =>
  inngest.received.filter((r) => r.method === 'POST').flatMap((r) => r.body as SentEvent[]).filter((e) => e.data.checkpointId === id)
const auditOf = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data: Record<string, unknown> }>

describe('resume.inngest (Holdpoint → Inngest Event API)', () => {
  it('sends holdpoint/checkpoint.resolved to /e/:key with the checkpoint in data and the resume message id as event id', async () => {
    const cp = await hp.api('POST', '/v1/checkpoints', { task: 'Deploy?', responseSchema: approvalSchema, resume: { inngest: {} }, metadata: { runId: 'r9' } })
    expect(cp.status).toBe(201)
    const id = cp.body.id as string
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    const [event] = await eventually(async () => sentFor(id).length > 0 && sentFor(id))
    const request = inngest.received.find((r) => (r.body as SentEvent[]).some((e) => e.data.checkpointId === id))!
    expect(request.path).toBe(`/e/${EVENT_KEY}`)
    expect(event).toMatchObject({
      id: `msg_${id}`,
      name: 'holdpoint/checkpoint.resolved',
      data: { type: 'checkpoint.resolved', checkpointId: id, state: 'resolved', response: { approved: true }, respondedBy: { actor: 'ana' }, metadata: { runId: 'r9' } },
    })
    expect(event!.ts).toBeGreaterThan(0)
    const resumed = await eventually(async () => (await auditOf(id)).find((e) => e.kind === 'resumed'))
    expect(resumed.data).toMatchObject({ target: 'inngest', event: 'holdpoint/checkpoint.resolved', eventId: `msg_${id}` })
    expect(JSON.stringify(await auditOf(id))).not.toContain(EVENT_KEY)
  })

  it('uses the overridden event name for every outcome and retries failures under the same event id', async () => {
    failNext = 6 // more than the Inngest SDK's own 5 in-call attempts: Holdpoint's retry must step in
    const cp = await hp.api('POST', '/v1/checkpoints', { task: 'Deploy?', responseSchema: approvalSchema, resume: { inngest: { event: 'app/approval.done' } } })
    const id = cp.body.id as string
    await hp.api('POST', `/v1/checkpoints/${id}/cancel`)
    await eventually(async () => (await auditOf(id)).some((e) => e.kind === 'resumed'), 15_000)
    const sent = sentFor(id)
    expect(sent.length).toBeGreaterThanOrEqual(7)
    expect(new Set(sent.map((e) => e.id))).toEqual(new Set([`msg_${id}`]))
    expect(new Set(sent.map((e) => e.name))).toEqual(new Set(['app/approval.done']))
    expect(sent.at(-1)!.data).toMatchObject({ type: 'checkpoint.cancelled', state: 'cancelled' })
  })
})

// --- the agent side: askInStep inside a real Inngest function, run by @inngest/test ---

const app = new Inngest({ id: 'refund-app', isDev: true })
const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })
const refundFn = app.createFunction({ id: 'refund', triggers: [{ event: 'app/refund.requested' }] }, async ({ event, step, runId }) => {
  const data = event.data as { amountUsd: number; url: string; token: string }
  const decision = await askInStep(step, {
    runId,
    task: `Refund $${data.amountUsd}?`,
    responseSchema: Decision,
    url: data.url,
    token: data.token,
  })
  return decision.approved ? `refunded ${data.amountUsd}` : `declined: ${decision.note ?? ''}`
})

interface WaitOpts {
  event: string
  timeout: string
  if: string
}
const waits: Array<{ id: string; opts: WaitOpts }> = []

/**
 * Runs the function in @inngest/test with `step.waitForEvent` played by this file: Inngest's
 * matching needs an Inngest server, and @inngest/test 1.0's step mocks of waitForEvent fail
 * inngest 4's event validation. The stand-in matches the real events Holdpoint sent to the
 * local Event API by name and by the `if` expression's checkpoint id.
 */
function engine(arrive: (checkpointId: string, opts: WaitOpts) => Promise<SentEvent | null>) {
  // Inngest memoizes a finished wait; the function is re-executed after every step.
  const memo = new Map<string, Promise<SentEvent | null>>()
  return new InngestTestEngine({
    function: refundFn,
    events: [{ name: 'app/refund.requested', data: { amountUsd: 250, url: hp.url, token: hp.token } }],
    transformCtx: (raw) => {
      const ctx = mockCtx(raw)
      ctx.step.waitForEvent = ((id: string, opts: WaitOpts) => {
        const checkpointId = /== "(cp_\w+)"$/.exec(opts.if)?.[1]
        if (!checkpointId) throw new Error(`unexpected match expression ${opts.if}`)
        if (!memo.has(id)) {
          waits.push({ id, opts })
          memo.set(id, arrive(checkpointId, opts))
        }
        return memo.get(id)
      }) as typeof ctx.step.waitForEvent
      return ctx
    },
  })
}

const answer = async (id: string, response: unknown) => {
  expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response, actor: 'ana' })).status).toBe(200)
}
const eventFor = (id: string, name: string) => eventually(async () => sentFor(id).find((e) => e.name === name))

describe('askInStep (agent side, @inngest/test)', () => {
  it('creates the checkpoint in a step and returns the typed answer carried by the resume event', async () => {
    let checkpointId = ''
    const { result, error, ctx } = await engine(async (id, opts) => {
      checkpointId = id
      await answer(id, { approved: true })
      return eventFor(id, opts.event)
    }).execute()
    expect(error).toBeUndefined()
    expect(result).toBe('refunded 250')
    expect(waits.at(-1)).toEqual({ id: 'holdpoint.wait.0', opts: { event: HOLDPOINT_INNGEST_EVENT, timeout: '1m', if: `async.data.checkpointId == "${checkpointId}"` } })
    expect(ctx.step.run).toHaveBeenCalledWith('holdpoint.create', expect.any(Function))
    expect(ctx.step.run).not.toHaveBeenCalledWith('holdpoint.check.0', expect.any(Function))
    const cp = await hp.api('GET', `/v1/checkpoints/${checkpointId}`)
    expect(cp.body.idempotencyKey).toMatch(/^inngest:.+:holdpoint$/)
  })

  it('covers the race: an answer sent before the wait was registered is found by the check after the window', async () => {
    const { result, error, ctx } = await engine(async (id, opts) => {
      await answer(id, { approved: false, note: 'too late in the quarter' })
      await eventFor(id, opts.event)
      return null // the event came before the wait existed, so Inngest ends the window empty
    }).execute()
    expect(error).toBeUndefined()
    expect(result).toBe('declined: too late in the quarter')
    expect(ctx.step.run).toHaveBeenCalledWith('holdpoint.check.0', expect.any(Function))
  })

  it('throws the typed error when the checkpoint is cancelled', async () => {
    const { error } = await engine(async (id, opts) => {
      await hp.api('POST', `/v1/checkpoints/${id}/cancel`)
      return eventFor(id, opts.event)
    }).execute()
    expect(error).toMatchObject({ name: 'CheckpointCancelledError' })
  })
})
