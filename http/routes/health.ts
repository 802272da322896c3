import { Router } from '@koa/router'
import type { RedisClient } from '../../engine/redis-client.js'
import type { Registry } from 'prom-client'

export interface HealthDeps {
  redis: RedisClient
  registry: Registry
  /** Number of live worker processes (heartbeats in Redis). */
  workersAlive: () => Promise<number>
}

/** Liveness, readiness (Redis reachable and at least one worker heartbeat) and metrics. */
export function healthRoutes(deps: HealthDeps): Router {
  const router = new Router()
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' }
  })
  router.get('/readyz', async (ctx) => {
    const checks: Record<string, string> = {}
    try {
      await deps.redis.ping()
      checks.redis = 'ok'
      checks.workers = (await deps.workersAlive()) > 0 ? 'ok' : 'no worker heartbeat in the last 15 s'
    } catch (error) {
      checks.redis = `unreachable: ${(error as Error).message}`
      checks.workers = 'unknown'
    }
    const ready = Object.values(checks).every((v) => v === 'ok')
    ctx.status = ready ? 200 : 503
    ctx.body = { status: ready ? 'ready' : 'not ready', checks }
  })
  router.get('/metrics', async (ctx) => {
    ctx.type = deps.registry.contentType
    ctx.body = await deps.registry.metrics()
  })
  return router
}
