import Koa, { type Middleware } from 'koa'
import type { Logger } from 'pino'
import { requireAgentToken, type ApiToken } from './auth.js'
import { archivedMiddleware, problemMiddleware } from '../plugins/web/problem.js'
import { FixedWindowLimiter, rateLimit } from '../plugins/web/rate-limit.js'
import { securityHeaders } from './security-headers.js'
import { checkpointRoutes, type CheckpointRoutesDeps } from './routes/checkpoints.js'
import { healthRoutes, type HealthDeps } from './routes/health.js'
import { ruleRoutes, type RuleRoutesDeps } from './routes/rules.js'
import { randomUUID } from 'node:crypto'
import { requestIds } from '../plugins/log-context.js'
import { MCP_PATH, mcpEndpoint } from '../mcp/http-endpoint.js'
import { chain } from '../plugins/web/chain.js'

const isAgentPath = (path: string) => path === '/v1' || path.startsWith('/v1/') || path === MCP_PATH

export interface HttpDeps extends CheckpointRoutesDeps, HealthDeps, Omit<RuleRoutesDeps, 'engine'> {
  /** Plugin routes (inbound channel endpoints, the dashboard), mounted ahead of the agent API. */
  mounts: Middleware[]
  /** Plugin routes behind the agent API's token check and per-token rate limit (`/v1/…`). */
  agentMounts: Middleware[]
  logger: Logger
  apiTokens: readonly ApiToken[]
  /** Request durations by route (Prometheus histogram in production). */
  metrics: { httpDuration: { observe(labels: { method: string; route: string; status: string }, seconds: number): void } }
  /** Redis key prefix for the rate-limit counters. */
  keyPrefix: string
  /** The archive file of a checkpoint retention removed (its tombstone), for 410s. */
  archivedFile?: (id: string) => Promise<string | null>
  /** Requests per minute per agent token and per client address on magic links; 0 = off. */
  rateLimits: { apiPerMinute: number; linksPerMinute: number }
  /** Proxy hops whose X-Forwarded-For is trusted for the client address (0 = ignore the header). */
  trustProxy?: number
}

/** The Koa application: thin handlers over the engine. Channels and the dashboard mount here too. */
export function createHttpApp(deps: HttpDeps): Koa {
  // Only the address the nearest `trustProxy` proxies saw counts: entries further left in
  // X-Forwarded-For are the client's own words and would let it dodge per-address limits.
  const hops = deps.trustProxy ?? 1
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops })
  const limiter = new FixedWindowLimiter(deps.redis, deps.keyPrefix)
  const log = deps.logger.child({ component: 'http' })

  app.use(async (ctx, next) => {
    const started = process.hrtime.bigint()
    const requestId = ctx.get('x-request-id') || randomUUID()
    ctx.set('x-request-id', requestId)
    try {
      await next()
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9
      const route = (ctx as { _matchedRoute?: string })._matchedRoute ?? 'unmatched'
      deps.metrics.httpDuration.observe({ method: ctx.method, route, status: String(ctx.status) }, seconds)
      log.debug({ ...requestIds(ctx), method: ctx.method, route, status: ctx.status, ms: Math.round(seconds * 1000) }, 'request')
    }
  })
  app.use(securityHeaders())
  // The operator says browsers reach us over https (TLS ends at a proxy that may not send
  // X-Forwarded-Proto): without this, setting a Secure session cookie throws and login 500s.
  if (deps.publicUrl.startsWith('https:')) {
    app.use(async (ctx, next) => {
      ctx.cookies.secure = true
      await next()
    })
  }
  app.use(problemMiddleware(log))
  if (deps.archivedFile) app.use(archivedMiddleware(deps.archivedFile))

  const health = healthRoutes(deps)
  app.use(health.routes())

  // Magic links are guessable only by brute force; this makes brute force slow.
  const linkLimit = rateLimit(limiter, { scope: 'links', limit: deps.rateLimits.linksPerMinute, windowSeconds: 60 }, (ctx) => ctx.ip)
  const surfaces = chain([
    async (ctx, next) => {
      if (ctx.path.startsWith('/m/')) await linkLimit(ctx, next)
      else await next()
    },
    ...deps.mounts,
  ])

  const agent = checkpointRoutes(deps)
  const rules = ruleRoutes({ engine: deps.engine, rules: deps.rules, operatorTokens: deps.operatorTokens })
  const auth = requireAgentToken(deps.apiTokens)
  // Per token, after authentication, so one runaway agent cannot starve the others.
  const apiLimit = rateLimit(limiter, { scope: 'api', limit: deps.rateLimits.apiPerMinute, windowSeconds: 60 }, (ctx) => String(ctx.state.principal))
  const agentApi = chain([
    async (ctx, next) => {
      await auth(ctx, async () => {
        await apiLimit(ctx, next)
      })
    },
    ...deps.agentMounts,
    mcpEndpoint({ engine: deps.engine, changes: deps.changes, capabilities: deps.capabilities, publicUrl: deps.publicUrl, bodyLimit: deps.bodyLimit, logger: log }),
    ...[agent, rules].flatMap((r): Middleware[] => [r.routes() as Middleware, r.allowedMethods() as Middleware]),
  ])
  // The agent API (MCP, Streamable HTTP, is the same API by another protocol: same tokens,
  // same limit) and the plugins' surfaces (dashboard, channels, Bull Board) share no path, so
  // an agent's call does not walk the surfaces' routers: matching their ~20 route tables was a
  // measurable share of each call's CPU.
  app.use(async (ctx, next) => {
    await (isAgentPath(ctx.path) ? agentApi : surfaces)(ctx, next)
  })
  return app
}
