import { defaultPayloadConverter } from '@temporalio/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { HOLDPOINT_TEMPORAL_SIGNAL, HoldpointInbox } from '../../sdk/temporal.js'
import type { ResumeEvent } from '../../sdk/webhook.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { TemporalService } from './temporal-service.js'

let hp: TestHoldpoint
const temporal = new TemporalService()

beforeAll(async () => {
  await temporal.start()
  hp = await startHoldpoint()
})
afterAll(async () => {
  await hp.close()
  await temporal.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const auditOf = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data: Record<string, unknown> }>
const create = (temporalSpec: Record<string, unknown>) =>
  hp.api('POST', '/v1/checkpoints', { task: 'Release?', responseSchema: approvalSchema, resume: { temporal: { address: temporal.address, ...temporalSpec } } })
const signalsFor = (workflowId: string) => temporal.signals.filter((s) => s.workflowExecution?.workflowId === workflowId)
const eventOf = (signal: (typeof temporal.signals)[number]) => defaultPayloadConverter.fromPayload<ResumeEvent>(signal.input!.payloads![0]!)

describe('resume.temporal (Holdpoint → WorkflowService.SignalWorkflowExecution)', () => {
  it('signals the workflow with the resume event under a stable request id, retrying until the frontend answers', async () => {
    const workflowId = `release-${Date.now()}`
    temporal.workflows.add(workflowId)
    temporal.failNext = 2
    const res = await create({ namespace: 'payments', workflowId })
    expect(res.status).toBe(201)
    const id = res.body.id as string
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: 'ship it' }, actor: 'ana' })
    const resumed = await eventually(async () => (await auditOf(id)).find((e) => e.kind === 'resumed'), 15_000)
    expect(resumed.data).toMatchObject({ target: 'temporal', workflowId, namespace: 'payments', signal: HOLDPOINT_TEMPORAL_SIGNAL })

    const signals = signalsFor(workflowId)
    expect(signals.length).toBeGreaterThanOrEqual(3)
    expect(new Set(signals.map((s) => s.requestId)).size).toBe(1)
    expect(signals[0]).toMatchObject({ namespace: 'payments', signalName: 'holdpoint.resolved', identity: 'holdpoint', requestId: resumed.data.requestId })
    const event = eventOf(signals.at(-1)!)
    expect(event).toMatchObject({ type: 'checkpoint.resolved', data: { checkpointId: id, state: 'resolved', response: { approved: true, note: 'ship it' } } })

    // The workflow side: the inbox the workflow registers as the signal handler gets the typed answer.
    const inbox = new HoldpointInbox()
    inbox.receive(event)
    const outcome = await inbox.wait(conditionNow, { checkpointId: id, timeout: '1 day', responseSchema: z.object({ approved: z.boolean(), note: z.string() }) })
    expect(outcome).toMatchObject({ outcome: 'answered', response: { approved: true, note: 'ship it' } })
  })

  it('uses the custom signal name and run id, and stops with an audited failure when the workflow is gone', async () => {
    const workflowId = `gone-${Date.now()}`
    const res = await create({ workflowId, runId: 'run-1', signal: 'approval' })
    await hp.api('POST', `/v1/checkpoints/${res.body.id}/cancel`)
    const failed = await eventually(async () => (await auditOf(res.body.id)).find((e) => e.kind === 'resume.failed'))
    expect(failed.data).toMatchObject({ target: 'temporal', final: true, grpcCode: 5, signal: 'approval' })
    expect(signalsFor(workflowId)).toHaveLength(1)
    expect(signalsFor(workflowId)[0]).toMatchObject({ signalName: 'approval', namespace: 'default', workflowExecution: { workflowId, runId: 'run-1' } })
    expect(eventOf(signalsFor(workflowId)[0]!).type).toBe('checkpoint.cancelled')
  })

  it('refuses a malformed temporal spec with 422', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', { task: 't', responseSchema: approvalSchema, resume: { temporal: { address: 'not an address', workflowId: 'w' } } })
    expect(res.status).toBe(422)
    expect(res.body.errors[0].path).toBe('/resume/temporal/address')
  })
})

// @temporalio/workflow's `condition` resolves when the predicate holds or the timeout passes;
// with the signal already delivered, this stand-in needs only the first half.
const conditionNow = async (fn: () => boolean, _timeout: string) => fn()

describe('HoldpointInbox (workflow side)', () => {
  const schema = z.object({ approved: z.boolean() })
  const event = (checkpointId: string, state: ResumeEvent['data']['state'], response: unknown): ResumeEvent => ({
    type: `checkpoint.${state}`,
    timestamp: new Date().toISOString(),
    data: { checkpointId, state, response, respondedBy: null, idempotencyKey: null, metadata: {} },
  })

  it('maps every outcome and keeps the first signal per checkpoint', async () => {
    const inbox = new HoldpointInbox()
    inbox.receive(event('cp_a', 'resolved', { approved: false }))
    inbox.receive(event('cp_a', 'resolved', { approved: true }))
    inbox.receive(event('cp_b', 'cancelled', null))
    inbox.receive(event('cp_c', 'expired', null))
    inbox.receive(event('cp_d', 'expired', { approved: false }))
    inbox.receive(event('cp_e', 'resolved', { approved: 'yes' }))
    const wait = (checkpointId: string) => inbox.wait(conditionNow, { checkpointId, timeout: '1h', responseSchema: schema })
    expect(await wait('cp_a')).toMatchObject({ outcome: 'answered', response: { approved: false } })
    expect(await wait('cp_b')).toMatchObject({ outcome: 'cancelled' })
    expect(await wait('cp_c')).toMatchObject({ outcome: 'expired' })
    expect(await wait('cp_d')).toMatchObject({ outcome: 'answered', response: { approved: false } })
    expect(await wait('cp_e')).toMatchObject({ outcome: 'invalid' })
    expect(await wait('cp_missing')).toEqual({ outcome: 'timed-out' })
  })
})
