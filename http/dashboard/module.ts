import type { Middleware } from 'koa'
import { FixedWindowLimiter, rateLimit } from '../rate-limit.js'
import type { HoldpointModule, ModuleContext, ModuleFactory } from '../../ops/module.js'
import { Accounts } from './accounts.js'
import { auditRoutes } from './audit-routes.js'
import { DashboardAuth } from './auth.js'
import { authRoutes } from './auth-routes.js'
import { checkpointRoutes } from './checkpoint-routes.js'
import type { DashDeps } from './deps.js'
import { eventRoutes } from './events.js'
import { DashKeys } from './keys.js'
import { defaultUiDist } from './module-paths.js'
import { pageRoutes } from './pages.js'
import { peopleRoutes } from './people-routes.js'
import { LoginRateLimiter } from './rate-limit.js'
import { SessionStore } from './sessions.js'
import type { Viewer } from './viewer.js'
import { FreeTextExtractor } from '../../verify/extractor.js'
import { VerifierSet } from '../../verify/verifier-set.js'

export interface DashboardOptions {
  /** Where the built UI is; defaults to `<package root>/ui/dist`. */
  uiDist?: string
}

/**
 * The reviewer dashboard. Present in every process so the module list is the same
 * everywhere; only server processes get routes. In dev mode, while no operator exists, it
 * prints a one-time setup link for the first one.
 */
export function createDashboardModule(options: DashboardOptions = {}): ModuleFactory {
  return async (ctx: ModuleContext): Promise<HoldpointModule> => {
    if (!ctx.role.server || !ctx.changes) return { name: 'dashboard' }
    const keys = new DashKeys(ctx.config.keyPrefix)
    const sessions = new SessionStore(ctx.redis, ctx.config.keyPrefix)
    const accounts = new Accounts(ctx.redis, ctx.config.keyPrefix, ctx.directory)
    const deps: DashDeps = {
      engine: ctx.engine,
      directory: ctx.directory,
      accounts,
      sessions,
      auth: new DashboardAuth(sessions, ctx.directory, ctx.config.publicUrl),
      limiter: new LoginRateLimiter(ctx.redis, ctx.config.keyPrefix),
      keyring: ctx.keyring,
      changes: ctx.changes,
      redis: ctx.redis,
      keys,
      publicUrl: ctx.config.publicUrl,
      logger: ctx.logger.child({ component: 'dashboard' }),
      // The same verifiers the verify module builds: "Answer in words" uses its models.
      extractor: new FreeTextExtractor(new VerifierSet({ env: ctx.config.env, webhookSecret: ctx.config.webhookSecret, ...(ctx.verifiers && { functions: ctx.verifiers }) })),
    }
    // "Answer in words" costs a model call per request: a budget per signed-in person (or per
    // link-granted recipient and checkpoint), whichever session they use.
    const extractLimit = rateLimit(
      new FixedWindowLimiter(ctx.redis, ctx.config.keyPrefix),
      { scope: 'dash-extract', limit: ctx.config.env.HOLDPOINT_RATE_LIMIT_EXTRACT, windowSeconds: 60 },
      (c) => {
        const viewer = (c.state as { viewer?: Viewer | null }).viewer
        if (!viewer) return null
        return viewer.kind === 'person' ? `person:${viewer.actor.actor}` : `grant:${viewer.actor.channel}:${viewer.actor.actor}:${viewer.onlyCheckpoint ?? ''}`
      },
    )
    const limitExtract: Middleware = async (c, next) => {
      if (c.method === 'POST' && /^\/ui\/api\/checkpoints\/[^/]+\/extract$/.test(c.path)) {
        // Who is asking (cached on ctx.state for the route); anonymous requests get their 401 there.
        await deps.auth.viewer(c)
        await extractLimit(c, next)
      } else await next()
    }
    const events = eventRoutes(deps)
    const routers = [authRoutes(deps), checkpointRoutes(deps), peopleRoutes(deps), auditRoutes(deps), events.router]
    const routes = chain([limitExtract, pageRoutes(deps, options.uiDist ?? defaultUiDist()), ...routers.flatMap((r): Middleware[] => [r.routes() as Middleware, r.allowedMethods() as Middleware])])

    if (!(await accounts.operatorExists())) {
      if (ctx.config.production) {
        ctx.logger.warn('dashboard: no operator yet; create one with the setup link printed by a dev-mode start, or add one to the directory')
      } else {
        const token = await accounts.mintFirstRunInvite()
        ctx.announce(`dashboard setup: open ${ctx.config.publicUrl}/setup/${token} to choose the first operator's password (one use)`)
      }
    }

    return {
      name: 'dashboard',
      routes,
      close() {
        events.closeAll()
        return Promise.resolve()
      },
    }
  }
}

/** Runs middleware in order, each one's `next` being the following one (what koa-compose does). */
function chain(middleware: Middleware[]): Middleware {
  return (ctx, next) => middleware.reduceRight<() => Promise<unknown>>((after, mw) => () => Promise.resolve(mw(ctx, after)), next)()
}

export const dashboardModule: ModuleFactory = createDashboardModule()
