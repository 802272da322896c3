import { Queue, QueueEvents } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { INTAKE_QUEUE } from '../../plugins/queue-names.js'
import { approvalSchema, deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'

// A producer on its own connection, the way another service would use the intake queue.
let hp: TestHoldpoint
let queue: Queue
let events: QueueEvents

beforeAll(async () => {
  hp = await startHoldpoint({ plugins: [] })
  const connection = { url: testRedisUrl() }
  queue = new Queue(INTAKE_QUEUE, { connection, prefix: hp.prefix })
  events = new QueueEvents(INTAKE_QUEUE, { connection, prefix: hp.prefix })
  await events.waitUntilReady()
})
afterAll(async () => {
  await Promise.all([queue.close(), events.close()])
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const body = (task = 'Approve a $250 refund?') => ({ task, payload: { amountUsd: 250 }, responseSchema: approvalSchema, metadata: { runId: 'run_9' } })

async function failureOf(jobId: string): Promise<{ attemptsMade: number; failedReason: string }> {
  const job = await queue.getJob(jobId)
  return { attemptsMade: job!.attemptsMade, failedReason: job!.failedReason }
}

describe('intake queue', () => {
  it('creates a checkpoint from a create job and returns it, the same as the API would show', async () => {
    const job = await queue.add('create', body())
    const created = (await job.waitUntilFinished(events, 10_000)) as { id: string; state: string; task: string; metadata: unknown }
    expect(created.id).toMatch(/^cp_/)
    expect(created).toMatchObject({ task: 'Approve a $250 refund?', metadata: { runId: 'run_9' } })
    const viaApi = await hp.api('GET', `/v1/checkpoints/${created.id}`)
    expect(viaApi.status).toBe(200)
    expect(viaApi.body.task).toBe('Approve a $250 refund?')
    const audit = (await hp.api('GET', `/v1/checkpoints/${created.id}/audit`)).body
    expect(audit.entries[0]).toMatchObject({ kind: 'created', actor: { channel: 'api', actor: 'intake-queue' } })
  })

  it('treats the job id as the idempotency key: a re-added job returns the first checkpoint', async () => {
    const jobId = `order-${Date.now()}`
    const first = await queue.add('create', body('idempotent'), { jobId })
    const a = (await first.waitUntilFinished(events, 10_000)) as { id: string }
    // BullMQ itself refuses a job id it still holds; once removed, the engine's key still holds.
    await first.remove()
    const second = await queue.add('create', body('idempotent'), { jobId })
    const b = (await second.waitUntilFinished(events, 10_000)) as { id: string }
    expect(b.id).toBe(a.id)
    const listed = await hp.api('GET', '/v1/checkpoints?limit=100')
    expect(listed.body.items.filter((c: { task: string }) => c.task === 'idempotent')).toHaveLength(1)
  })

  it('honours idempotencyKey in the body like the HTTP API, and refuses a different body under it', async () => {
    const key = `body-key-${Date.now()}`
    const a = (await (await queue.add('create', { ...body('keyed'), idempotencyKey: key })).waitUntilFinished(events, 10_000)) as { id: string }
    const b = (await (await queue.add('create', { ...body('keyed'), idempotencyKey: key })).waitUntilFinished(events, 10_000)) as { id: string }
    expect(b.id).toBe(a.id)
    const conflicting = await queue.add('create', { ...body('another body'), idempotencyKey: key }, { attempts: 4, backoff: { type: 'fixed', delay: 10 } })
    await expect(conflicting.waitUntilFinished(events, 10_000)).rejects.toThrow(/idempotency/i)
    // A retry cannot make a reused key fit: it fails at once.
    expect((await failureOf(conflicting.id!)).attemptsMade).toBe(1)
  })

  it('fails an invalid body at once, without retries, naming each failing path', async () => {
    const job = await queue.add('create', { task: '', responseSchema: 'not a schema', timeoutSeconds: -5 }, { attempts: 5, backoff: { type: 'fixed', delay: 10 } })
    await expect(job.waitUntilFinished(events, 10_000)).rejects.toThrow()
    const { attemptsMade, failedReason } = await failureOf(job.id!)
    expect(attemptsMade).toBe(1)
    expect(failedReason).toContain('/task')
    expect(failedReason).toContain('/responseSchema')
    expect(failedReason).toContain('/timeoutSeconds')
    const refused = await queue.add('create', { task: 'uses slack', responseSchema: approvalSchema, notify: ['slack:#ops'] }, { attempts: 3 })
    await expect(refused.waitUntilFinished(events, 10_000)).rejects.toThrow(/\/notify/)
    expect((await failureOf(refused.id!)).attemptsMade).toBe(1)
  })
})
