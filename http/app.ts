import Koa, { type Middleware } from 'koa'
import type { Logger } from 'pino'
import type { Metrics } from '../ops/metrics.js'
import { requireAgentToken, type ApiToken } from './auth.js'
import { problemMiddleware } from './problem.js'
import { checkpointRoutes, type CheckpointRoutesDeps } from './routes/checkpoints.js'
import { healthRoutes, type HealthDeps } from './routes/health.js'
import { randomUUID } from 'node:crypto'
import { withLogContext } from '../ops/log-context.js'

export interface HttpDeps extends CheckpointRoutesDeps, HealthDeps {
  /** Module routes (inbound channel endpoints, the dashboard), mounted ahead of the agent API. */
  mounts: Middleware[]
  logger: Logger
  apiTokens: readonly ApiToken[]
  metrics: Metrics
}

/** The Koa application: thin handlers over the engine. Channels and the dashboard mount here too. */
export function createHttpApp(deps: HttpDeps): Koa {
  const app = new Koa({ proxy: true })
  const log = deps.logger.child({ component: 'http' })

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint()
    const requestId = ctx.get('x-request-id') || randomUUID()
    ctx.set('x-request-id', requestId)
    // Routes learn the checkpoint id only once matched, hence a function (and a getter below).
    const checkpointId = () => {
      const id = (ctx as { params?: Record<string, string> }).params?.id
      return id?.startsWith('cp_') ? id : undefined
    }
    try {
      await withLogContext({ requestId, get checkpointId() { return checkpointId() } }, next)
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched'
      deps.metrics.httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds)
      log.debug({ requestId, checkpointId: checkpointId(), method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request')
    }
  })
  app.use(problemMiddleware(log))

  const health = healthRoutes(deps)
  app.use(health.routes())

  for (const mount of deps.mounts) app.use(mount)

  const agent = checkpointRoutes(deps)
  const auth = requireAgentToken(deps.apiTokens)
  app.use(async (ctx, next) => {
    if (ctx.path === '/v1' || ctx.path.startsWith('/v1/')) await auth(ctx, next)
    else await next()
  })
  app.use(agent.routes())
  app.use(agent.allowedMethods())
  return app
}
