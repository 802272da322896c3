import { Queue, QueueEvents } from 'bullmq'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot } from '../../engine/key-slot.js'
import { INTAKE_QUEUE, TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { jobIds } from '../../queues/job-ids.js'
import { resumeTargetsPlugin } from '../../resume/plugin.js'
import { approvalSchema, eventually, startHoldpoint, type TestHoldpoint } from '../support/holdpoint.js'
import { recordingChannel } from '../support/recording-channel.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

// Everything runs through the real entry points (startHoldpoint with
// HOLDPOINT_REDIS_CLUSTER_NODES, the HTTP API, BullMQ producers) against a real 3-master cluster.
let cluster: RedisClusterProcess
let hp: TestHoldpoint
let receiver: WebhookReceiver
const email = recordingChannel('email')

beforeAll(async () => {
  cluster = await startRedisCluster()
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint({ plugins: [resumeTargetsPlugin], channels: [email], env: { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds } })
}, 60_000)
afterAll(async () => {
  await hp?.close()
  await receiver?.close()
  await cluster?.stop()
})

const kinds = async (id: string): Promise<string[]> => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries.map((e: { kind: string }) => e.kind)

describe('Holdpoint on a 3-master Redis Cluster', () => {
  it('computes slots the way the cluster does, and spreads the shards over all three masters', async () => {
    for (const key of ['hp:cp:{s3-1}:cp_x', 'plain', '{}', 'a{b}c', 'hp:{dir}:person:ana', '{user1000}.following']) {
      expect(keySlot(key)).toBe(await cluster.node(0).cluster('KEYSLOT', key))
    }
    const keys = hp.runtime.engine.store.keys
    const owners = new Map<string, number>()
    const slots = await cluster.node(0).cluster('SLOTS')
    for (const shard of keys.allShards()) {
      const slot = keySlot(keys.index(shard))
      const owner = slots.find(([from, to]) => slot >= from && slot <= to)![2]![1]
      owners.set(String(owner), (owners.get(String(owner)) ?? 0) + 1)
    }
    expect([...owners.values()].sort()).toEqual([5, 5, 6])
  })

  it('runs a checkpoint from create to answer to resume webhook, its keys in one slot', async () => {
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'Refund $40?', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.state === 'delivered')
    const answered = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    expect(answered.status).toBe(200)
    expect(answered.body.state).toBe('resolved')
    await eventually(async () => receiver.received.some((r) => JSON.parse(r.body).data.checkpointId === id))
    await eventually(async () => (await kinds(id)).includes('resumed'))
    expect((await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.chain.intact).toBe(true)
    const keys = hp.runtime.engine.store.keys
    const shard = keys.shardOf(id)
    const slot = keySlot(keys.checkpoint(id))
    for (const key of [keys.audit(id), keys.index(shard), keys.outbox(shard), keys.finished(shard), keys.changes(shard)]) expect(keySlot(key)).toBe(slot)
  })

  it('replays an idempotent create from the right shard, with nothing sent twice', async () => {
    const key = `idem-${Date.now()}`
    const body = { task: 'Idempotent on a cluster', responseSchema: approvalSchema }
    const first = await hp.api('POST', '/v1/checkpoints', body, { 'idempotency-key': key })
    expect(first.status).toBe(201)
    const again = await hp.api('POST', '/v1/checkpoints', body, { 'idempotency-key': key })
    expect(again.status).toBe(200)
    expect(again.headers.get('idempotent-replayed')).toBe('true')
    expect(again.body.id).toBe(first.body.id)
    expect((await hp.api('POST', '/v1/checkpoints', { ...body, task: 'different' }, { 'idempotency-key': key })).status).toBe(409)
  })

  it('lists newest first across every shard, page by page, by state too', async () => {
    // All at once: concurrent commits on every shard share auto-pipelines, as in production.
    const creates = await Promise.all(Array.from({ length: 24 }, (_, i) => hp.api('POST', '/v1/checkpoints', { task: `list ${i}`, responseSchema: approvalSchema, metadata: { list: 'yes' } })))
    expect(creates.map((c) => c.status)).toEqual(creates.map(() => 201))
    const made = creates.map((c) => c.body.id as string).sort()
    const shards = new Set(made.map((id) => hp.runtime.engine.store.keys.shardOf(id)))
    expect(shards.size).toBeGreaterThan(5)
    const seen: string[] = []
    let cursor: string | null = null
    do {
      const page: { body: { items: Array<{ id: string }>; nextCursor: string | null } } = await hp.api('GET', `/v1/checkpoints?limit=7${cursor ? `&cursor=${cursor}` : ''}`)
      seen.push(...page.body.items.map((c) => c.id))
      cursor = page.body.nextCursor
    } while (cursor)
    expect(seen).toEqual([...seen].sort().reverse())
    expect(new Set(seen).size).toBe(seen.length)
    expect(seen.filter((id) => made.includes(id))).toEqual([...made].reverse())
    await hp.api('POST', `/v1/checkpoints/${made[3]!}/cancel`, { reason: 'listing' })
    const cancelled = await hp.api('GET', '/v1/checkpoints?state=cancelled&limit=50')
    expect(cancelled.body.items.map((c: { id: string }) => c.id)).toContain(made[3])
  })

  it('wakes a long-poll in the moment of the answer (sharded pub/sub)', async () => {
    const ids: string[] = []
    for (let i = 0; i < 6; i++) ids.push((await hp.api('POST', '/v1/checkpoints', { task: `wait ${i}`, responseSchema: approvalSchema })).body.id)
    const started = Date.now()
    const waits = ids.map((id) => hp.api('GET', `/v1/checkpoints/${id}/wait?timeoutSeconds=25`))
    await new Promise((r) => setTimeout(r, 300))
    for (const id of ids) await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: false }, actor: 'ben' })
    const woken = await Promise.all(waits)
    expect(woken.map((w) => w.body.state)).toEqual(ids.map(() => 'resolved'))
    expect(Date.now() - started).toBeLessThan(10_000)
  })

  it('fires deadlines from the split timer queues, and escalates on time', async () => {
    const timerQueues = hp.runtime.queues.partsOf(TIMERS_QUEUE)
    expect(timerQueues).toHaveLength(3)
    const created = await hp.api('POST', '/v1/checkpoints', {
      task: 'Escalate me',
      responseSchema: approvalSchema,
      notify: ['email:analyst@example.com'],
      escalation: [{ afterSeconds: 1, notify: ['email:lead@example.com'], assignTo: ['email:lead@example.com'] }],
      timeoutSeconds: 3,
      onTimeout: { response: { approved: false } },
    })
    const id = created.body.id as string
    // Its pending deadline went to the one sub-queue its shard maps to.
    const queue = hp.runtime.queues.forCheckpoint(TIMERS_QUEUE, id)
    expect(await queue.getJob(jobIds.timer(id, 'checkpoint.timeout', Date.parse(created.body.expiresAt as string)))).toBeDefined()
    await eventually(async () => email.calls.some((c) => c.checkpointId === id && c.recipient === 'email:lead@example.com'), 10_000)
    const timedOut = await eventually(async () => {
      const got = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
      return got.state === 'resolved' && got
    }, 10_000)
    expect(timedOut.response).toEqual({ approved: false })
    expect(await kinds(id)).toEqual(expect.arrayContaining(['escalated', 'timed_out']))
  })

  it('creates checkpoints from the intake queue (a producer uses the queue’s hash-tagged prefix)', async () => {
    const connection = new Cluster(cluster.seeds.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) })), { redisOptions: { maxRetriesPerRequest: null } })
    const prefix = hp.runtime.queues.prefixOf(INTAKE_QUEUE)
    expect(prefix).toBe(`${hp.prefix}:{${INTAKE_QUEUE}}`)
    const queue = new Queue(INTAKE_QUEUE, { connection, prefix })
    const events = new QueueEvents(INTAKE_QUEUE, { connection, prefix })
    try {
      await events.waitUntilReady()
      const job = await queue.add('create', { task: 'From the intake queue', responseSchema: approvalSchema }, { jobId: `order-${Date.now()}` })
      const created = (await job.waitUntilFinished(events, 15_000)) as { id: string; task: string }
      expect(created.task).toBe('From the intake queue')
      expect((await hp.api('GET', `/v1/checkpoints/${created.id}`)).body.state).toMatch(/pending|delivered/)
    } finally {
      await Promise.all([queue.close(), events.close()])
      connection.disconnect()
    }
  })

  it('resumes an agent through its own BullMQ queue when its prefix carries a hash tag, and says why not otherwise', async () => {
    const tagged = (await hp.api('POST', '/v1/checkpoints', { task: 'queue resume', responseSchema: approvalSchema, resume: { queue: { name: 'agent-jobs', prefix: '{agent}' } } })).body.id as string
    const untagged = (await hp.api('POST', '/v1/checkpoints', { task: 'queue resume', responseSchema: approvalSchema, resume: { queue: { name: 'agent-jobs' } } })).body.id as string
    for (const id of [tagged, untagged]) await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    await eventually(async () => (await kinds(tagged)).includes('resumed'))
    const connection = cluster.client()
    const queue = new Queue('agent-jobs', { connection, prefix: '{agent}' })
    try {
      expect((await queue.getJob(`msg_${tagged}`))?.data.data.checkpointId).toBe(tagged)
    } finally {
      await queue.close()
      connection.disconnect()
    }
    await eventually(async () => (await kinds(untagged)).includes('resume.failed'))
    const failed = (await hp.api('GET', `/v1/checkpoints/${untagged}/audit`)).body.entries.find((e: { kind: string }) => e.kind === 'resume.failed')
    expect(failed.data.reason).toContain('hash tag')
  })

  it('counts checkpoints per state over every shard in /metrics', async () => {
    const text = await (await fetch(`${hp.url}/metrics`)).text()
    const resolved = Number(/holdpoint_checkpoints\{state="resolved"\} (\d+)/.exec(text)?.[1] ?? 'NaN')
    expect(resolved).toBeGreaterThanOrEqual(3)
  })
})
