import { afterEach, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink } from '../support/smtp-sink.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

/**
 * First attempts made by the committing process (queues/attempts/): a delivery or a resume
 * that works needs no job; one that fails becomes the job it always was, under the same id.
 */
const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined)
})

async function holdpoint(env: Record<string, string> = {}): Promise<TestHoldpoint> {
  const hp = await startHoldpoint({ env })
  cleanup.push(async () => {
    await hp.close()
    await deleteKeys(testRedisUrl(), hp.prefix)
  })
  return hp
}

async function receiver(respond?: ConstructorParameters<typeof WebhookReceiver>[0]): Promise<WebhookReceiver> {
  const r = await new WebhookReceiver(respond).start()
  cleanup.push(() => r.close())
  return r
}

async function counted(hp: TestHoldpoint): Promise<Record<string, number>> {
  const { values } = await hp.runtime.metrics.inlineAttempts.get()
  return Object.fromEntries(values.map((v) => [`${v.labels.kind}:${v.labels.outcome}`, v.value]))
}

/** Every job of a queue, whatever its state (completed ones are not kept, so this sees only what waits or failed). */
async function jobsOf(hp: TestHoldpoint, queue: string, id: string): Promise<string[]> {
  const jobs = await hp.runtime.queues.forCheckpoint(queue, id).getJobs(['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'])
  return jobs.filter((j) => j.data.checkpointId === id).map((j) => j.name)
}

const audit = async (hp: TestHoldpoint, id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: Record<string, unknown> }>

describe('inline first attempts', () => {
  it('mail the request and the outcome and resume the agent with no job when each works the first time', async () => {
    const sink = await startSmtpSink()
    cleanup.push(() => sink.close())
    const hook = await receiver()
    const hp = await holdpoint({ SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>' })
    const added: string[] = []
    for (const queue of hp.runtime.queues.all()) queue.on('waiting', (job) => added.push(`${queue.name}:${job.name}`))

    const created = await hp.api('POST', '/v1/checkpoints', { task: 'Refund $250?', responseSchema: approvalSchema, notify: ['email:ana@example.com'], resume: { webhook: { url: hook.url } } })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.state === 'delivered')
    // The recorded delivery stands for the request mail's sent-mark: a pending checkpoint keeps none.
    await eventually(async () => (await hp.redis.keys(`${hp.prefix}:email:sent:${id}.*`)).length === 0)
    expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    await eventually(async () => hook.received.length === 1 && sink.to('ana@example.com').length === 2)
    await eventually(async () => (await audit(hp, id)).some((e) => e.kind === 'resumed'))

    expect((await audit(hp, id)).find((e) => e.kind === 'resumed')!.data).toMatchObject({ target: 'webhook', attempt: 1 })
    expect(await counted(hp)).toMatchObject({ 'delivery:done': 2, 'resume:done': 1 })
    expect(await jobsOf(hp, 'deliver-email', id)).toEqual([])
    expect(await jobsOf(hp, 'resume', id)).toEqual([])
    // Only the deadline became a job; the outbox is empty once the attempts settled.
    expect(added.filter((a) => !a.startsWith('timers'))).toEqual([])
    await eventually(async () => (await hp.redis.hlen(`${hp.prefix}:outbox`)) === 0)
  })

  it('queue the job under the same id when the first attempt fails; the audit counts the inline attempt', async () => {
    const hook = await receiver((n) => (n === 1 ? 503 : 200))
    const hp = await holdpoint()
    const id = (await hp.api('POST', '/v1/checkpoints', { task: 'Wire?', responseSchema: approvalSchema, resume: { webhook: { url: hook.url } } })).body.id as string
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    await eventually(async () => (await audit(hp, id)).some((e) => e.kind === 'resumed'))
    expect(hook.received).toHaveLength(2)
    expect(hook.received[1]!.headers['webhook-id']).toBe(hook.received[0]!.headers['webhook-id'])
    expect((await audit(hp, id)).find((e) => e.kind === 'resumed')!.data).toMatchObject({ attempt: 2 })
    expect(await counted(hp)).toMatchObject({ 'resume:queued': 1 })
  })

  it('make at most HOLDPOINT_INLINE_ATTEMPTS at once; the rest are jobs from the start', async () => {
    let release: () => void = () => undefined
    const allArrived = new Promise<void>((r) => (release = r))
    // The first call (the one inline attempt) is held until the other two arrived through their jobs.
    const hook = await receiver(async (n) => {
      if (n === 3) release()
      if (n === 1) await allArrived
      return 200
    })
    const hp = await holdpoint({ HOLDPOINT_INLINE_ATTEMPTS: '1' })
    const ids: string[] = []
    for (let i = 0; i < 3; i++) ids.push((await hp.api('POST', '/v1/checkpoints', { task: `Wire ${i}?`, responseSchema: approvalSchema, resume: { webhook: { url: hook.url } } })).body.id as string)
    for (const id of ids) expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    await eventually(async () => hook.received.length === 3, 15_000)
    for (const id of ids) await eventually(async () => (await audit(hp, id)).some((e) => e.kind === 'resumed'))
    expect(await counted(hp)).toEqual({ 'resume:done': 1 })
  })

  it('hold no slot for a dispatch whose outbox lease could not be written; the sweeper attempts it later', async () => {
    const hook = await receiver()
    const hp = await holdpoint({ HOLDPOINT_INLINE_ATTEMPTS: '1' })
    const store = hp.runtime.engine.store
    const lease = store.leaseOutbox.bind(store)
    const commit = store.commit.bind(store)
    // Commits that lease their entry themselves would never reach the lease write that fails here.
    store.commit = ({ outboxDueAt: _leased, ...args }) => commit(args)
    store.leaseOutbox = () => Promise.reject(new Error('Redis went away'))
    const ask = async () => (await hp.api('POST', '/v1/checkpoints', { task: 'Wire?', responseSchema: approvalSchema, resume: { webhook: { url: hook.url } } })).body.id as string
    const first = await ask()
    expect((await hp.api('POST', `/v1/checkpoints/${first}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    store.leaseOutbox = lease
    // The answer is committed and its effects wait in the outbox; the one slot is still free.
    const second = await ask()
    await hp.api('POST', `/v1/checkpoints/${second}/response`, { response: { approved: true }, actor: 'ana' })
    for (const id of [first, second]) await eventually(async () => (await audit(hp, id)).some((e) => e.kind === 'resumed'), 15_000)
    // Both made inline: the second at once, the first when the sweeper dispatched it again.
    expect(await counted(hp)).toEqual({ 'resume:done': 2 })
  })

  it('have their outbox entry leased by the commit itself: no second write before the attempt', async () => {
    let release: () => void = () => undefined
    const held = new Promise<void>((r) => (release = r))
    const hook = await receiver(async () => {
      await held
      return 200
    })
    const hp = await holdpoint()
    const store = hp.runtime.engine.store
    let separateLeases = 0
    const lease = store.leaseOutbox.bind(store)
    store.leaseOutbox = (...args) => {
      separateLeases++
      return lease(...args)
    }
    const id = (await hp.api('POST', '/v1/checkpoints', { task: 'Wire?', responseSchema: approvalSchema, resume: { webhook: { url: hook.url } } })).body.id as string
    const answeredAt = Date.now()
    const answered = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    expect(answered.status).toBe(200)
    await eventually(async () => hook.received.length === 1)
    // While the webhook hangs, the sweeper may not touch the entry: it falls due only after the lease.
    const field = `${id}|${answered.body.version as number}`
    const due = Number(await hp.redis.zscore(store.keys.outboxByTime(store.keys.shardOf(id)), field))
    expect(due).toBeGreaterThanOrEqual(answeredAt + 10_000)
    expect(separateLeases).toBe(0)
    release()
    await eventually(async () => (await audit(hp, id)).some((e) => e.kind === 'resumed'))
    await eventually(async () => (await hp.redis.zscore(store.keys.outboxByTime(store.keys.shardOf(id)), field)) === null)
    expect(await counted(hp)).toEqual({ 'resume:done': 1 })
  })

  it('are off with HOLDPOINT_INLINE_ATTEMPTS=0: every delivery and resume is a job', async () => {
    const hook = await receiver()
    const hp = await holdpoint({ HOLDPOINT_INLINE_ATTEMPTS: '0' })
    const resumes: string[] = []
    hp.runtime.queues.forCheckpoint('resume', 'x').on('waiting', (job) => resumes.push(String(job.id)))
    const id = (await hp.api('POST', '/v1/checkpoints', { task: 'Wire?', responseSchema: approvalSchema, resume: { webhook: { url: hook.url } } })).body.id as string
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    await eventually(async () => (await audit(hp, id)).some((e) => e.kind === 'resumed'))
    expect(resumes).toEqual([`${id}.resume`])
    expect(await counted(hp)).toEqual({})
  })
})
