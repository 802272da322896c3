import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot } from '../../engine/key-slot.js'
import { approvalSchema, eventually, startHoldpoint, type TestHoldpoint } from '../support/holdpoint.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

let cluster: RedisClusterProcess
let hp: TestHoldpoint
let receiver: WebhookReceiver

beforeAll(async () => {
  cluster = await startRedisCluster()
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint({ plugins: [], env: { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds } })
}, 60_000)
afterAll(async () => {
  await hp?.close()
  await receiver?.close()
  await cluster?.stop()
})

describe('Holdpoint on a 3-master Redis Cluster', () => {
  it('computes slots the way the cluster does', async () => {
    for (const key of ['hp:cp:{s3-1}:cp_x', 'plain', '{}', 'a{b}c', 'hp:{dir}:person:ana', '{user1000}.following']) {
      expect(keySlot(key)).toBe(await cluster.node(0).cluster('KEYSLOT', key))
    }
  })

  it('runs a checkpoint from create to answer to resume webhook', async () => {
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'Refund $40?', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.state === 'delivered')
    const answered = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    expect(answered.status).toBe(200)
    expect(answered.body.state).toBe('resolved')
    await eventually(async () => receiver.received.some((r) => JSON.parse(r.body).data.checkpointId === id))
    const audit = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body
    expect(audit.chain.intact).toBe(true)
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries.some((e: { kind: string }) => e.kind === 'resumed'))
    // Its keys carry its shard's tag: the checkpoint and its audit share one slot.
    const keys = hp.runtime.engine.store.keys
    expect(keySlot(keys.checkpoint(id))).toBe(keySlot(keys.audit(id)))
    expect(keySlot(keys.checkpoint(id))).toBe(keySlot(keys.index(keys.shardOf(id))))
  })
})
