import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, eventually, startHoldpoint, type TestHoldpoint } from '../support/holdpoint.js'
import { recordingChannel } from '../support/recording-channel.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

// Retention on a 3-master cluster: finished checkpoints (with deliveries on the split
// delivery queues, timers on the split timer queues, a resume job, an idempotency record)
// are archived and leave the cluster; a SCAN of every master finds nothing naming them.
let cluster: RedisClusterProcess
let hp: TestHoldpoint
let receiver: WebhookReceiver
let dir: string
const secret = `PLAINTEXT-${randomBytes(8).toString('hex')}`

beforeAll(async () => {
  cluster = await startRedisCluster()
  dir = await mkdtemp(join(tmpdir(), 'holdpoint-cluster-archive-'))
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint({
    plugins: [],
    channels: [recordingChannel('email')],
    env: { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds, HOLDPOINT_RETENTION: '1s', HOLDPOINT_ARCHIVE_DIR: join(dir, 'archive') },
  })
}, 60_000)
afterAll(async () => {
  await hp?.close()
  await receiver?.close()
  await cluster?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('retention on a Redis Cluster', () => {
  it('archives finished checkpoints from every shard and leaves nothing naming them on any master', { timeout: 60_000 }, async () => {
    const open = (await hp.api('POST', '/v1/checkpoints', { task: 'stays', responseSchema: approvalSchema, timeoutSeconds: 3600 })).body.id as string
    const finished: string[] = []
    for (let i = 0; i < 9; i++) {
      const created = await hp.api(
        'POST',
        '/v1/checkpoints',
        {
          task: `finish ${i}`,
          payload: { secret },
          notify: ['email:ana@example.com'],
          responseSchema: approvalSchema,
          timeoutSeconds: 3600,
          reminders: { everySeconds: 600, max: 1 },
          resume: { webhook: { url: receiver.url } },
        },
        { 'idempotency-key': `keep-${i}-${randomBytes(4).toString('hex')}` },
      )
      expect(created.status).toBe(201)
      finished.push(created.body.id)
    }
    expect(new Set(finished.map((id) => hp.runtime.engine.store.keys.shardOf(id))).size).toBeGreaterThan(3)
    for (const id of finished) expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    for (const id of finished) {
      await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).status === 410, 20_000)
      await eventually(async () => (await cluster.scanAll(`*${id}*`)).length === 0, 15_000).catch(async () => {
        throw new Error(`keys left for ${id}: ${(await cluster.scanAll(`*${id}*`)).join(', ')}`)
      })
    }
    expect(receiver.received).toHaveLength(finished.length)
    const archive = join(dir, 'archive')
    const text = (await Promise.all((await readdir(archive)).filter((n) => n.endsWith('.jsonl.gz')).map(async (n) => gunzipSync(await readFile(join(archive, n))).toString('utf8')))).join('')
    for (const id of finished) expect(text).toContain(`"id":"${id}"`)
    expect(text).not.toContain(secret)
    const listed = await hp.api('GET', '/v1/checkpoints?limit=50')
    expect((listed.body.items as Array<{ id: string }>).map((c) => c.id)).toEqual([open])
    expect((await hp.api('GET', `/v1/checkpoints/${open}`)).status).toBe(200)
  })
})
