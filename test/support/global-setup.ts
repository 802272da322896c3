import type { TestProject } from 'vitest/node'
import { redisAnswers } from '../../ops/dev-redis.js'
import { startRedisServer, type RedisProcess } from './redis-process.js'

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string
  }
}

/**
 * Finds the Redis the tests talk to: REDIS_URL (default 127.0.0.1:6379, which these machines
 * run), else a testcontainers Redis where a container engine exists, else a redis-server of
 * our own on a spare port. Tests isolate themselves with random key prefixes.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const wanted = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
  if (await redisAnswers(wanted)) {
    project.provide('redisUrl', wanted)
    return async () => undefined
  }
  if (process.env.HOLDPOINT_TEST_CONTAINERS !== '0') {
    try {
      const { RedisContainer } = await import('@testcontainers/redis')
      const container = await new RedisContainer('redis:7-alpine').start()
      project.provide('redisUrl', container.getConnectionUrl())
      return async () => {
        await container.stop()
      }
    } catch {
      // No container engine here: fall through to a local redis-server.
    }
  }
  let redis: RedisProcess
  try {
    redis = await startRedisServer({ appendonly: false })
  } catch (error) {
    throw new Error(`Tests need Redis: none answers at ${wanted}, no container engine, and redis-server failed: ${(error as Error).message}`)
  }
  project.provide('redisUrl', redis.url)
  return () => redis.stop()
}
