import { describe, expect, it } from 'vitest'
import { approvalSchema, eventually } from './support/holdpoint.js'
import { durabilityScenarios, redisAt, testResources } from './support/durability-scenarios.js'
import { startRedisServer, type RedisProcess } from './support/redis-process.js'

// The scenarios are shared with test/cluster/durability.test.ts, which runs them on a Redis Cluster.
const { cleanup, holdpoint, webhookReceiver, sharedEnv } = testResources()

describe('durability', () => {
  durabilityScenarios(redisAt())

  describe('with its own Redis (AOF, appendfsync always)', () => {
    it('loses nothing acknowledged when Redis is SIGKILLed and restarted', async () => {
      const redis: RedisProcess = await startRedisServer({ appendonly: true, appendfsync: 'always' })
      // Registered first, so it runs last: everything else disconnects from it before it goes.
      cleanup.push(() => redis.stop())
      const receiver = await webhookReceiver()
      const hp = await holdpoint({ env: { ...sharedEnv(redisAt(() => redis.url)) } })
      const ids: string[] = []
      for (let i = 0; i < 20; i++) {
        const res = await hp.api('POST', '/v1/checkpoints', { task: `aof ${i}`, responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })
        expect(res.status).toBe(201)
        ids.push(res.body.id)
      }
      const answered = ids.slice(0, 8)
      for (const id of answered) expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
      await redis.kill()
      await redis.restart()
      // Every acknowledged create and answer is there, and work resumes on its own.
      await eventually(async () => (await hp.api('GET', '/v1/checkpoints?limit=100')).status === 200, 20_000)
      const listed = (await hp.api('GET', '/v1/checkpoints?limit=100')).body.items.map((c: { id: string }) => c.id)
      expect(new Set(listed)).toEqual(new Set(ids))
      for (const id of answered) {
        const got = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
        expect(got).toMatchObject({ state: 'resolved', response: { approved: true } })
        expect((await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.chain.intact).toBe(true)
      }
      await eventually(async () => new Set(receiver.received.map((h) => JSON.parse(h.body).data.checkpointId)).size === answered.length, 30_000)
    }, 60_000)
  })
})
