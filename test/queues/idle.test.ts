import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deliveryQueue, TIMERS_QUEUE } from '../../plugins/queue-names.js'
import { approvalSchema, startHoldpoint, type TestHoldpoint } from '../support/holdpoint.js'
import { startRedisServer, type RedisProcess } from '../support/redis-process.js'

let redis: RedisProcess
let hp: TestHoldpoint
let admin: Redis

beforeAll(async () => {
  redis = await startRedisServer({ appendonly: false })
  // Production's lock (30 s): stalled checks run as often as a deployment's would.
  hp = await startHoldpoint({ env: { REDIS_URL: redis.url, HOLDPOINT_JOB_LOCK_MS: '30000' } })
  admin = new Redis(redis.url)
}, 60_000)
afterAll(async () => {
  admin.disconnect()
  await hp.close()
  await redis.stop()
})

const calls = async () => [...(await admin.info('commandstats')).matchAll(/calls=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0)

describe('an idle server+worker process', () => {
  it('runs no worker for the dashboard, whose deliveries are recorded inline', async () => {
    expect(await hp.runtime.queues.get(deliveryQueue('dashboard')).getWorkersCount()).toBe(0)
    expect(await hp.runtime.queues.get(TIMERS_QUEUE).getWorkersCount()).toBe(1)
  })

  it('asks Redis for little while nothing happens (a pending deadline waiting)', async () => {
    expect((await hp.api('POST', '/v1/checkpoints', { task: 'Ship it?', responseSchema: approvalSchema })).status).toBe(201)
    await new Promise((r) => setTimeout(r, 2_000))
    const before = await calls()
    await new Promise((r) => setTimeout(r, 15_000))
    const perSecond = (await calls()) - before - 1
    // About 4.5 a second measured (BullMQ's 5-second polls made it 12): workers blocking 30 s
    // between polls (10 s for the timers queue), stalled checks every lock, sweeper, heartbeat.
    expect(perSecond / 15).toBeLessThan(7)
  }, 30_000)
})
