import { createBullBoard } from '@bull-board/api'
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter'
import { KoaAdapter } from '@bull-board/koa'
import type { Context, Middleware, Next } from 'koa'
import { DashboardAuth } from '../http/dashboard/auth.js'
import { SessionStore } from '../http/dashboard/sessions.js'
import type { Viewer } from '../http/dashboard/viewer.js'
import { problem } from '../plugins/web/problem.js'
import { z } from 'zod'
import { definePlugin, type JobQueues, type PluginParts } from '../plugins/plugin.js'

/** Fixed by the contract (api.md). */
export const BULL_BOARD_PATH = '/admin/queues'

/** One Bull Board over every Holdpoint queue; read-only boards refuse every action in the UI and API. */
function board(queues: JobQueues, readOnlyMode: boolean): Middleware {
  const adapter = new KoaAdapter()
  adapter.setBasePath(BULL_BOARD_PATH)
  createBullBoard({
    queues: queues.names().map((name) => new BullMQAdapter(queues.get(name), { readOnlyMode, allowRetries: !readOnlyMode })),
    serverAdapter: adapter,
    options: { uiConfig: { boardTitle: 'Holdpoint queues' } },
  })
  return adapter.registerPlugin() as Middleware
}

function underBoard(path: string): boolean {
  return path === BULL_BOARD_PATH || path.startsWith(`${BULL_BOARD_PATH}/`)
}

/** Bull Board's own API has no CSRF token; a same-origin check keeps other sites' forms out. */
function crossSite(ctx: Context, publicOrigin: string): boolean {
  const site = ctx.get('sec-fetch-site')
  const origin = ctx.get('origin')
  return (site !== '' && site !== 'same-origin' && site !== 'none') || (origin !== '' && origin !== `${ctx.protocol}://${ctx.host}` && origin !== publicOrigin)
}

/**
 * Bull Board at /admin/queues, behind the dashboard's sessions: operators get the full board
 * (retry, promote, clean), reviewers a read-only one, everyone else a login redirect (pages)
 * or 401 (its API). Only servers mount it; the queues are the same from any process.
 */
export const bullBoardPlugin = definePlugin({
  name: 'bull-board',
  env: z.object({}),
  start(_settings, ctx): PluginParts {
    if (!ctx.role.server) return {}
    const auth = new DashboardAuth(new SessionStore(ctx.keys.redis, ctx.keys.root('dash')), ctx.directory, ctx.publicUrl)
    const full = board(ctx.queues, false)
    const readOnly = board(ctx.queues, true)
    const publicOrigin = new URL(ctx.publicUrl).origin
    const log = ctx.logger.child({ component: 'bull-board' })

    const routes = async (koa: Context, next: Next): Promise<void> => {
      if (!underBoard(koa.path)) {
        await next()
        return
      }
      const viewer: Viewer | null = await auth.viewer(koa)
      if (!viewer) {
        if (koa.method === 'GET' && koa.accepts('html', 'json') === 'html' && !koa.path.startsWith(`${BULL_BOARD_PATH}/api/`)) {
          koa.redirect(`/login?next=${encodeURIComponent(koa.originalUrl)}`)
          return
        }
        throw problem(401, 'unauthorized', 'Sign in first', 'Bull Board is for signed-in operators.')
      }
      if (viewer.kind !== 'person') throw problem(403, 'forbidden', 'Not allowed', 'A checkpoint link does not open Bull Board.')
      const writes = koa.method !== 'GET' && koa.method !== 'HEAD'
      if (writes && !viewer.operator) throw problem(403, 'forbidden', 'Operators only', 'Reviewers see the queues read-only.')
      if (writes && crossSite(koa, publicOrigin)) throw problem(403, 'cross-site', 'Cross-site request refused', 'Queue actions must come from Bull Board itself.')
      if (writes) log.info({ personId: viewer.person?.id, method: koa.method, route: koa.path }, 'queue action from Bull Board')
      await (viewer.operator ? full : readOnly)(koa, next)
    }
    return { routes }
  },
})
