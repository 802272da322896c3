import { afterEach, expect, it } from 'vitest'
import { CheckpointStore } from '../../engine/checkpoint-store.js'
import { Engine, type EffectDispatcher } from '../../engine/engine.js'
import { Keyring, parseSecretKeys } from '../../engine/keyring.js'
import { CLUSTER, STANDALONE, type Keys } from '../../engine/keys.js'
import type { RedisClient } from '../../engine/redis-client.js'
import { validateCreate } from '../../engine/validate-create.js'
import { RESUME_QUEUE, TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { jobIds } from '../../queues/job-ids.js'
import { freePort } from './free-port.js'
import { approvalSchema, deleteKeys, eventually, randomPrefix, startHoldpoint, testClient, testRedisUrl, testSecrets, type TestHoldpoint } from './holdpoint.js'
import type { RedisClusterProcess } from './redis-cluster.js'
import { startSmtpSink } from './smtp-sink.js'
import { spawnHoldpoint, type HoldpointProcess } from './spawn-holdpoint.js'
import { WebhookReceiver } from './webhook-receiver.js'

/**
 * Where the Redis of a scenario is: one server (`REDIS_URL`) or a Redis Cluster
 * (`HOLDPOINT_REDIS_CLUSTER_NODES`). Read when a test runs, not when it is declared, so a
 * cluster started in `beforeAll` can be named.
 */
export interface RedisPlace {
  /** Whether Holdpoint is to use the Cluster layout there (each scenario checks that it does). */
  cluster: boolean
  /** The variables naming this Redis, for in-process Holdpoints and spawned processes alike. */
  env(): Record<string, string>
  /** Removes a test prefix's keys afterwards (never FLUSHALL: the Redis may be shared). */
  deleteKeys(prefix: string): Promise<void>
}

/** One Redis server: the shared test Redis unless a URL is given. */
export function redisAt(url: () => string = testRedisUrl): RedisPlace {
  return {
    cluster: false,
    env: () => ({ REDIS_URL: url() }),
    deleteKeys: (prefix) => deleteKeys(url(), prefix),
  }
}

/** A test cluster of the file's own (test/support/redis-cluster.ts). */
export function clusterAt(cluster: () => RedisClusterProcess): RedisPlace {
  return {
    cluster: true,
    env: () => ({ HOLDPOINT_REDIS_CLUSTER_NODES: cluster().seeds }),
    async deleteKeys(prefix) {
      // Key by key, through each key's own master: keys of different slots cannot share an UNLINK.
      const keys = await cluster().scanAll(`${prefix}:*`)
      const client = cluster().client()
      try {
        for (const key of keys) await client.unlink(key)
      } finally {
        client.disconnect()
      }
    },
  }
}

/** What a test starts, stopped after it (last started, first stopped). Registers its own afterEach. */
export function testResources() {
  const cleanup: Array<() => Promise<void>> = []
  afterEach(async () => {
    while (cleanup.length) await cleanup.pop()!().catch(() => undefined)
  })
  return {
    cleanup,
    holdpoint: async (opts: Parameters<typeof startHoldpoint>[0]): Promise<TestHoldpoint> => {
      const hp = await startHoldpoint(opts)
      cleanup.push(() => hp.close())
      return hp
    },
    webhookReceiver: async (respond?: ConstructorParameters<typeof WebhookReceiver>[0]): Promise<WebhookReceiver> => {
      const r = await new WebhookReceiver(respond).start()
      cleanup.push(() => r.close())
      return r
    },
    /** One deployment's env (a fresh prefix and secrets) on `place`; its keys go after the test. */
    sharedEnv: (place: RedisPlace): Record<string, string> => {
      const prefix = randomPrefix()
      cleanup.push(() => place.deleteKeys(prefix))
      return { ...place.env(), HOLDPOINT_KEY_PREFIX: prefix, ...testSecrets() }
    },
  }
}

const auditKinds = async (hp: TestHoldpoint, id: string): Promise<string[]> =>
  (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries.map((e: { kind: string }) => e.kind)

/** Entries in the outbox: one hash on one Redis, one per shard on a Cluster. */
async function outboxSize(redis: RedisClient, keys: Keys): Promise<number> {
  let size = 0
  for (const shard of keys.allShards()) size += await redis.hlen(keys.outbox(shard))
  return size
}

/**
 * The durability scenarios (crash between commit and dispatch, re-dispatch of every outbox
 * entry, 50 concurrent answers, a worker SIGKILLed mid-job, a deadline across a full stop),
 * declared in the calling `describe` against the Redis at `place`.
 */
export function durabilityScenarios(place: RedisPlace): void {
  const resources = testResources()
  const { cleanup, webhookReceiver, sharedEnv } = resources
  /** A Holdpoint stopped after the test, checked to be on the Redis the scenarios are meant for. */
  const holdpoint = async (opts: Parameters<typeof startHoldpoint>[0]): Promise<TestHoldpoint> => {
    const hp = await resources.holdpoint(opts)
    expect(hp.runtime.engine.store.keys.cluster).toBe(place.cluster)
    return hp
  }

  it('still delivers, times out and resumes when the process died between commit and dispatch', async () => {
    const env = sharedEnv(place)
    const receiver = await webhookReceiver()
    // A writer whose dispatch always fails stands in for a process killed right after its
    // commit: the snapshot, audit and outbox are in Redis, no job was ever added.
    const redis = testClient(env)
    cleanup.push(async () => redis.disconnect())
    const crashing: EffectDispatcher = { dispatch: () => Promise.reject(new Error('killed before dispatch')) }
    const layout = env.HOLDPOINT_REDIS_CLUSTER_NODES ? CLUSTER : STANDALONE
    const store = new CheckpointStore(redis, env.HOLDPOINT_KEY_PREFIX!, null, layout)
    const writer = new Engine({ store, keyring: new Keyring(parseSecretKeys(env.HOLDPOINT_SECRET_KEYS!)), dispatcher: crashing })
    const caps = { recipients: { problem: () => null, normalize: (r: string) => r }, channels: new Set(['dashboard']), resumeTargets: new Set(['webhook']), features: new Set<string>(), allowPrivateWebhooks: true }
    const { checkpoint: timed } = await writer.create(await validateCreate({ task: 'expires', responseSchema: approvalSchema, timeoutSeconds: 1, resume: { webhook: { url: receiver.url } } }, caps), 'agent')
    const { checkpoint: answered } = await writer.create(await validateCreate({ task: 'answered', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } }, caps), 'agent')
    await writer.answer({ id: answered.id, by: { channel: 'api', actor: 'ana' }, response: { approved: true }, via: 'api' })
    expect(await outboxSize(redis, store.keys)).toBe(3)

    // A fresh worker process finds the outbox entries and dispatches them.
    const hp = await holdpoint({ env })
    await eventually(async () => receiver.received.length === 2, 15_000)
    const types = receiver.received.map((h) => JSON.parse(h.body).type).sort()
    expect(types).toEqual(['checkpoint.expired', 'checkpoint.resolved'])
    // The `resumed` entry is written once the receiver has answered, so it may trail the webhook.
    await eventually(async () => (await auditKinds(hp, answered.id)).includes('resumed'))
    expect(await auditKinds(hp, answered.id)).toEqual(['created', 'answered', 'resumed'])
    expect((await hp.api('GET', `/v1/checkpoints/${timed.id}`)).body.state).toBe('expired')
    await eventually(async () => (await outboxSize(redis, store.keys)) === 0)
  })

  it.each([
    ['made inline by the committing process', {}],
    ['queued as jobs (HOLDPOINT_INLINE_ATTEMPTS=0)', { HOLDPOINT_INLINE_ATTEMPTS: '0' }],
  ])('sends one mail and one webhook when every outbox entry is dispatched again after its first attempts, %s, completed', async (_how, extraEnv: Record<string, string>) => {
    const sink = await startSmtpSink()
    cleanup.push(() => sink.close())
    const receiver = await webhookReceiver()
    const hp = await holdpoint({ env: { ...sharedEnv(place), SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>', ...extraEnv } })
    // A process killed right after adding the jobs, before clearing the outbox entry, again
    // and again: every sweep (every 2 s, entries older than 3 s) dispatches each entry anew,
    // long after its jobs completed and were removed.
    const store = hp.runtime.engine.store
    const clear = store.clearOutbox.bind(store)
    const lease = store.leaseOutbox.bind(store)
    const commit = store.commit.bind(store)
    // An inline attempt leases its entry away from the sweeper for a while (written by the
    // commit, or after it); without the lease, the sweeper meets the entry again every sweep,
    // as after a crash once the lease ran out.
    store.leaseOutbox = () => Promise.resolve()
    store.commit = ({ outboxDueAt: _leased, ...args }) => commit(args)
    const dispatched = new Map<string, number>()
    store.clearOutbox = (id, version) => {
      dispatched.set(`${id}|${version}`, (dispatched.get(`${id}|${version}`) ?? 0) + 1)
      return Promise.resolve()
    }
    const created = await hp.api('POST', '/v1/checkpoints', {
      task: 'Refund $250?',
      responseSchema: approvalSchema,
      notify: ['dashboard', 'email:ana@example.com'],
      resume: { webhook: { url: receiver.url } },
    })
    const id = created.body.id as string
    const dispatchesOf = (version: number) => dispatched.get(`${id}|${version}`) ?? 0
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.deliveredTo?.includes('email:ana@example.com'))
    // The create entry (deliver + deadline) dispatched twice more while the checkpoint is open.
    await eventually(async () => dispatchesOf(1) >= 3, 15_000)
    expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    const final = (await hp.api('GET', `/v1/checkpoints/${id}`)).body.version as number
    await eventually(async () => receiver.received.length === 1 && sink.to('ana@example.com').length === 2)
    await eventually(async () => (await auditKinds(hp, id)).includes('resumed'))
    // The answer's entry (outcome mail, resume, cancelled deadline) dispatched twice more after its jobs completed.
    await eventually(async () => dispatchesOf(final) >= 3, 15_000)
    store.clearOutbox = clear
    store.leaseOutbox = lease
    store.commit = commit
    await eventually(async () => (await outboxSize(hp.redis, store.keys)) === 0, 10_000)
    await new Promise((r) => setTimeout(r, 500))

    expect(sink.to('ana@example.com').map((m) => (m.messageId?.includes('.outcome@') ? 'outcome' : 'request'))).toEqual(['request', 'outcome'])
    expect(receiver.received).toHaveLength(1)
    const kinds = await auditKinds(hp, id)
    expect(kinds.filter((k) => k === 'delivered')).toHaveLength(2)
    expect(kinds.filter((k) => k === 'resumed')).toHaveLength(1)
    // Nothing is left that would act later, but the deadline the create entry scheduled anew, which the machine will refuse.
    // (On a Cluster the timer queue is split into sub-queues `timers.0-2`.)
    const timerQueues = hp.runtime.queues.partsOf(TIMERS_QUEUE)
    const jobsLeft: string[] = []
    for (const queue of hp.runtime.queues.all()) {
      if (timerQueues.includes(queue.name)) continue
      const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'failed', 'completed'])
      jobsLeft.push(...jobs.filter((j) => j.data.checkpointId === id || j.id?.startsWith(`${id}.`)).map((j) => `${queue.name}:${j.name}`))
    }
    expect(jobsLeft).toEqual([])
  }, 60_000)

  it('lets exactly one of 50 concurrent answers win; the rest get 409 and one resume is sent', async () => {
    const receiver = await webhookReceiver()
    const hp = await holdpoint({ env: place.env() })
    const cp = (await hp.api('POST', '/v1/checkpoints', { task: 'race', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })).body
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: i % 2 === 0 }, actor: `person-${i}` })),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 200)).toHaveLength(1)
    expect(statuses.filter((s) => s === 409)).toHaveLength(49)
    const winner = results.find((r) => r.status === 200)!.body
    await eventually(async () => receiver.received.length === 1)
    await new Promise((r) => setTimeout(r, 500))
    expect(receiver.received).toHaveLength(1)
    expect(JSON.parse(receiver.received[0]!.body).data.respondedBy.actor).toBe(winner.respondedBy.actor)
    const audit = (await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)).body
    expect(audit.chain.intact).toBe(true)
    const kinds = audit.entries.map((e: { kind: string }) => e.kind)
    expect(kinds.filter((k: string) => k === 'answered')).toHaveLength(1)
    expect(kinds.filter((k: string) => k === 'refused')).toHaveLength(49)
  })

  /** A receiver whose first call hangs until the test ends (a process dies while it waits). */
  const hangingFirstCall = async (): Promise<WebhookReceiver> => {
    let release: () => void = () => undefined
    const firstCallHangs = new Promise<void>((r) => (release = r))
    const receiver = await webhookReceiver(async (n) => {
      if (n === 1) await firstCallHangs
      return 200
    })
    cleanup.push(async () => release())
    return receiver
  }

  it('completes a job whose worker process was SIGKILLed mid-job, after a new worker starts', async () => {
    // The answering process queues the resume instead of attempting it, so a worker runs it as a job.
    const env = { ...sharedEnv(place), HOLDPOINT_JOB_LOCK_MS: '1000', HOLDPOINT_RESUME_FIRST_DELAY_MS: '100', HOLDPOINT_INLINE_ATTEMPTS: '0' }
    const receiver = await hangingFirstCall()
    const api = await holdpoint({ env, worker: false })
    const workers: HoldpointProcess[] = []
    cleanup.push(async () => {
      for (const w of workers) await w.kill()
    })
    workers.push(spawnHoldpoint('worker', env))
    const cp = (await api.api('POST', '/v1/checkpoints', { task: 'kill me', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })).body
    await api.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true }, actor: 'ana' })
    await eventually(async () => receiver.received.length === 1, 20_000)
    await workers[0]!.kill()
    workers.push(spawnHoldpoint('worker', env))
    await eventually(async () => receiver.received.length >= 2, 30_000)
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id'])
    await eventually(async () => (await auditKinds(api, cp.id)).includes('resumed'), 10_000)
  }, 60_000)

  it('resumes once the lease runs out when the process making the first attempt inline was SIGKILLed mid-attempt', async () => {
    const env = sharedEnv(place)
    const receiver = await hangingFirstCall()
    const reader = await holdpoint({ env: { ...env, HOLDPOINT_INLINE_ATTEMPTS: '0' }, worker: false })
    const port = await freePort()
    const answering = spawnHoldpoint('server', { ...env, HOLDPOINT_PORT: String(port) })
    const worker = spawnHoldpoint('worker', env)
    cleanup.push(async () => {
      await answering.kill()
      await worker.kill()
    })
    const cp = (await reader.api('POST', '/v1/checkpoints', { task: 'kill me mid-webhook', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })).body
    // A spawned tsx process can take most of a minute to start while the whole suite runs.
    await eventually(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.ok === true, 60_000)
    const answered = await fetch(`http://127.0.0.1:${port}/v1/checkpoints/${cp.id as string}/response`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reader.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ response: { approved: true }, actor: 'ana' }),
    })
    expect(answered.status).toBe(200)
    // The answering server's own first attempt is on the wire (no job exists); then it dies.
    await eventually(async () => receiver.received.length === 1, 20_000)
    expect(await reader.runtime.queues.forCheckpoint(RESUME_QUEUE, cp.id).getJob(jobIds.resume(cp.id))).toBeUndefined()
    await answering.kill()
    // The entry stays in the outbox, leased (InlineFirstAttempts.leaseMs); then the worker's sweeper dispatches it again.
    await eventually(async () => receiver.received.length >= 2, 40_000)
    expect(receiver.received[1]!.headers['webhook-id']).toBe(receiver.received[0]!.headers['webhook-id'])
    await eventually(async () => (await auditKinds(reader, cp.id)).includes('resumed'), 10_000)
    expect((await auditKinds(reader, cp.id)).filter((k) => k === 'resumed')).toHaveLength(1)
    await eventually(async () => (await outboxSize(reader.redis, reader.runtime.engine.store.keys)) === 0, 10_000)
  }, 150_000)

  it('fires a deadline scheduled before every process stopped, once a worker is back', async () => {
    const env = sharedEnv(place)
    const first = await startHoldpoint({ env })
    const cp = (await first.api('POST', '/v1/checkpoints', { task: 'deadline', responseSchema: approvalSchema, timeoutSeconds: 2 })).body
    await first.close()
    expect(first.runtime.engine.store.keys.cluster).toBe(place.cluster)
    await new Promise((r) => setTimeout(r, 2_500))
    const second = await holdpoint({ env })
    const done = await eventually(async () => {
      const got = await second.api('GET', `/v1/checkpoints/${cp.id}`)
      return got.body.state === 'expired' && got.body
    }, 10_000)
    expect(done.respondedBy).toBeNull()
  })
}
