import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Keys } from '../../engine/keys.js'
import { TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'

let hp: TestHoldpoint
beforeAll(async () => {
  hp = await startHoldpoint()
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const create = async (extra: Record<string, unknown> = {}) => (await hp.api('POST', '/v1/checkpoints', { task: 'Ship it?', responseSchema: approvalSchema, ...extra })).body as { id: string; expiresAt: string }
const timerJobs = async () => hp.runtime.queues.get(TIMERS_QUEUE).getJobs(['delayed', 'waiting', 'active', 'failed'])

describe('timer jobs', () => {
  it('keep a pending deadline in Redis’s compact encoding: short id, data and options', async () => {
    const cp = await create({ timeoutSeconds: 90 * 24 * 3600 })
    const job = (await timerJobs()).find((j) => (j.data as { id?: string }).id === cp.id)!
    expect(job.name).toBe('timeout')
    expect(job.data).toEqual({ id: cp.id, at: Date.parse(cp.expiresAt) })
    const key = `${hp.prefix}:${TIMERS_QUEUE}:${job.id!}`
    const stored = (await hp.redis.hgetall(key))
    expect(Object.keys(JSON.parse(stored.opts!) as object).sort()).toEqual(['attempts', 'delay', 'jobId'])
    // Redis keeps a hash compact while every value is at most 64 bytes (hash-max-listpack-value).
    expect(Object.entries(stored).filter(([, v]) => v.length > 64)).toEqual([])
    expect(await hp.redis.object('ENCODING', key)).toBe('listpack')
  })

  it('is removed when the checkpoint ends, and a moved deadline replaces its job', async () => {
    const cp = await create({ timeoutSeconds: 3600 })
    expect((await timerJobs()).filter((j) => (j.data as { id?: string }).id === cp.id)).toHaveLength(1)
    await hp.api('POST', `/v1/checkpoints/${cp.id}/cancel`)
    await eventually(async () => (await timerJobs()).every((j) => (j.data as { id?: string }).id !== cp.id))
  })

  it('fire from a job an earlier version added, which names the timer in its data', async () => {
    const cp = await create({ timeoutSeconds: 3600 })
    const dueAt = Date.parse(cp.expiresAt)
    await hp.runtime.queues.add(TIMERS_QUEUE, cp.id, 'checkpoint.timeout', { checkpointId: cp.id, timer: 'checkpoint.timeout', dueAt }, { jobId: `${cp.id}.t.checkpoint.timeout.${dueAt}`, attempts: 10 })
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.state === 'expired')
  })
})

describe('a timer that fails', () => {
  it('is retried by its worker with backoff, spending no attempt, and fires once the checkpoint reads again', async () => {
    const cp = await create({ timeoutSeconds: 1 })
    // A checkpoint that cannot be read (the JSON in its record broken) makes every firing throw.
    const key = new Keys(hp.prefix).checkpoint(cp.id)
    const stored = (await hp.redis.get(key))!
    await hp.redis.set(key, stored.replace('{', '#'))
    const retrying = await eventually(async () => {
      const job = (await timerJobs()).find((j) => (j.data as { id?: string }).id === cp.id)
      return job && (await job.getState()) === 'delayed' && job.attemptsStarted >= 1 && job
    })
    expect(retrying.attemptsMade).toBe(0)
    await hp.redis.set(key, stored)
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.state === 'expired', 10_000)
  })
})
