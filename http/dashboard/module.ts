import type { Middleware } from 'koa'
import { chain } from '../../plugins/web/chain.js'
import { z } from 'zod'
import { definePlugin, type Plugin, type PluginParts } from '../../plugins/plugin.js'
import { extractRateLimit, FixedWindowLimiter, rateLimit } from '../../plugins/web/rate-limit.js'
import { Accounts } from './accounts.js'
import { auditRoutes } from './audit-routes.js'
import { DashboardAuth } from './auth.js'
import { authRoutes } from './auth-routes.js'
import { batchRoutes } from './batch-routes.js'
import { checkpointRoutes } from './checkpoint-routes.js'
import type { DashDeps } from './deps.js'
import { eventRoutes } from './events.js'
import { DashKeys } from './keys.js'
import { defaultUiDist } from './module-paths.js'
import { pageRoutes } from './pages.js'
import { awayRoutes } from './away-routes.js'
import { ruleRoutes } from './rule-routes.js'
import { peopleRoutes } from './people-routes.js'
import { personGate } from './person-gate.js'
import { checkOidcEnv, oidcEnv, oidcSettings } from './oidc-config.js'
import { oidcRoutes } from './oidc-routes.js'
import { LoginRateLimiter } from './rate-limit.js'
import { SessionStore } from './sessions.js'
import type { Viewer } from './viewer.js'

export interface DashboardOptions {
  /** Where the built UI is; defaults to `<package root>/ui/dist`. */
  uiDist?: string
}

/**
 * The reviewer dashboard. Present in every process so the module list is the same
 * everywhere; only server processes get routes. In dev mode, while no operator exists, it
 * prints a one-time setup link for the first one.
 */
export function dashboardPlugin(options: DashboardOptions = {}): Plugin {
  return definePlugin({
    name: 'dashboard-ui',
    env: z.object({ ...extractRateLimit, ...oidcEnv }).superRefine(checkOidcEnv),
    async start(settings, ctx): Promise<PluginParts> {
      if (!ctx.role.server || !ctx.changes) return {}
      const { redis } = ctx.keys
      // Sessions, accounts and sign-in counters are used together (MULTI, scripts): one group.
      const prefix = ctx.keys.root('dash')
      const sessions = new SessionStore(redis, prefix)
      const accounts = new Accounts(redis, prefix, ctx.directory)
      const sso = oidcSettings(settings)
      const passwordLogin = settings.HOLDPOINT_PASSWORD_LOGIN === 'on'
      const deps: DashDeps = {
        engine: ctx.engine,
        directory: ctx.directory,
        accounts,
        sessions,
        auth: new DashboardAuth(sessions, ctx.directory, ctx.publicUrl),
        limiter: new LoginRateLimiter(redis, prefix),
        keyring: ctx.keyring,
        changes: ctx.changes,
        redis,
        keys: new DashKeys(prefix),
        publicUrl: ctx.publicUrl,
        logger: ctx.logger.child({ component: 'dashboard' }),
        extractor: ctx.extractor,
        channels: ctx.channels,
        signIn: { password: passwordLogin, sso: sso !== null },
        rules: ctx.rules,
      }
      // "Answer in words" costs a model call per request: a budget per signed-in person (or per
      // link-granted recipient and checkpoint), whichever session they use.
      const extractLimit = rateLimit(
        new FixedWindowLimiter(redis, prefix),
        { scope: 'dash-extract', limit: settings.HOLDPOINT_RATE_LIMIT_EXTRACT, windowSeconds: 60 },
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
      const routers = [authRoutes(deps), checkpointRoutes(deps), batchRoutes(deps), awayRoutes(deps), peopleRoutes(deps), auditRoutes(deps), ruleRoutes(deps), events.router, ...(sso ? [oidcRoutes(deps, sso, prefix)] : [])]
      const routes = chain([
        limitExtract,
        pageRoutes(deps, options.uiDist ?? defaultUiDist()),
        ...routers.flatMap((r): Middleware[] => [r.routes() as Middleware, r.allowedMethods() as Middleware]),
        // Channels' per-person endpoints (push devices), behind this dashboard's session and CSRF checks.
        personGate(deps.auth, () => ctx.personRoutes()),
      ])

      if (!(await accounts.operatorExists())) {
        if (!passwordLogin) {
          // A setup link would only set a password nobody can use; operators come from the provider.
          ctx.logger.warn(sso?.operatorGroup ? `dashboard: no operator yet; members of "${sso.operatorGroup}" become operators when they sign in with SSO` : 'dashboard: no operator yet and password sign-in is off; set HOLDPOINT_OIDC_OPERATOR_GROUP or add an operator to the directory')
        } else if (ctx.production) {
          ctx.logger.warn('dashboard: no operator yet; create one with the setup link printed by a dev-mode start, or add one to the directory')
        } else {
          const token = await accounts.mintFirstRunInvite()
          ctx.announce(`dashboard setup: open ${ctx.publicUrl}/setup/${token} to choose the first operator's password (one use)`)
        }
      }

      return {
        routes,
        close() {
          events.closeAll()
          return Promise.resolve()
        },
      }
    },
  })
}


export const dashboardUiPlugin: Plugin = dashboardPlugin()
