import { randomBytes } from 'node:crypto'
import { Queue, Worker, type Job } from 'bullmq'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ResumeEvent } from '../../sdk/webhook.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'

let hp: TestHoldpoint
let connection: Redis
// The agent's own BullMQ prefix: a separate namespace on the same Redis, cleaned up after.
const agentPrefix = `hptest-agent-${randomBytes(4).toString('hex')}`
const received: Array<Job<ResumeEvent>> = []
let worker: Worker<ResumeEvent>

beforeAll(async () => {
  hp = await startHoldpoint()
  connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null })
  worker = new Worker<ResumeEvent>('agent-resumes', async (job) => void received.push(job), { connection, prefix: agentPrefix })
  await worker.waitUntilReady()
})
afterAll(async () => {
  await worker.close()
  await hp.close()
  connection.disconnect()
  await deleteKeys(testRedisUrl(), hp.prefix)
  await deleteKeys(testRedisUrl(), agentPrefix)
})

async function create(resume: unknown) {
  return hp.api('POST', '/v1/checkpoints', { task: 'Ship it?', responseSchema: approvalSchema, resume, metadata: { runId: 'r1' } })
}

const auditOf = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data: Record<string, unknown> }>

describe('resume.queue', () => {
  it('adds one job to the agent’s BullMQ queue that a real worker receives, with the checkpoint’s stable job id', async () => {
    const res = await create({ queue: { name: 'agent-resumes', prefix: agentPrefix } })
    expect(res.status).toBe(201)
    const id = res.body.id as string
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: 'go' }, actor: 'ana' })
    const job = await eventually(async () => received.find((j) => j.data.data.checkpointId === id))
    expect(job.id).toBe(`msg_${id}`)
    expect(job.name).toBe('checkpoint.resolved')
    expect(job.data).toMatchObject({ type: 'checkpoint.resolved', data: { checkpointId: id, state: 'resolved', response: { approved: true, note: 'go' }, metadata: { runId: 'r1' } } })
    const resumed = await eventually(async () => (await auditOf(id)).find((e) => e.kind === 'resumed'))
    expect(resumed.data).toMatchObject({ target: 'queue', queue: 'agent-resumes', prefix: agentPrefix, jobId: `msg_${id}` })

    // An operator's forced re-drive reuses the job id: BullMQ keeps the completed job, so no second job.
    const forced = await hp.api('POST', `/v1/checkpoints/${id}/resume?force=true`)
    expect(forced.status).toBe(202)
    await eventually(async () => (await auditOf(id)).filter((e) => e.kind === 'resumed').length === 2)
    expect(received.filter((j) => j.data.data.checkpointId === id)).toHaveLength(1)
  })

  it('defaults to BullMQ’s own prefix `bull`', async () => {
    const name = `hptest-q-${randomBytes(4).toString('hex')}`
    const res = await create({ queue: { name } })
    await hp.api('POST', `/v1/checkpoints/${res.body.id}/cancel`)
    const queue = new Queue(name, { connection })
    try {
      const job = await eventually(async () => queue.getJob(`msg_${res.body.id}`))
      expect(job.name).toBe('checkpoint.cancelled')
    } finally {
      await queue.obliterate({ force: true })
      await queue.close()
    }
  })

  it('refuses, permanently and audited, to feed one of Holdpoint’s own queues', async () => {
    const res = await create({ queue: { name: 'timers', prefix: hp.prefix } })
    await hp.api('POST', `/v1/checkpoints/${res.body.id}/cancel`)
    const failed = await eventually(async () => (await auditOf(res.body.id)).find((e) => e.kind === 'resume.failed'))
    expect(failed.data).toMatchObject({ target: 'queue', final: true, queue: 'timers' })
  })

  it('validates the queue spec (422 with the failing path)', async () => {
    const res = await create({ queue: { name: 'bad name!' } })
    expect(res.status).toBe(422)
    expect(JSON.stringify(res.body)).toContain('/resume')
  })
})
