import { Router } from '@koa/router'
import { respondedBy } from '../../machine/identity.js'
import { problem } from '../../plugins/web/problem.js'
import type { DashDeps } from './deps.js'

/** The Rules page: policies as the file declares them, remembered decisions to revoke. Operators only. */
export function ruleRoutes(deps: DashDeps): Router {
  const { auth, engine, rules } = deps
  const router = new Router({ prefix: '/ui/api/rules' })

  router.get('/', async (ctx) => {
    await auth.requireOperator(ctx)
    ctx.set('cache-control', 'no-store')
    ctx.body = await rules.view(engine.now())
  })

  router.delete('/remembered/:id', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireOperator(ctx)
    const id = String((ctx.params as Record<string, string | undefined>).id ?? '')
    const revoked = await rules.revoke(engine, id, respondedBy(viewer.actor))
    if (!revoked) throw problem(404, 'not-found', 'No such remembered decision', 'It was revoked already, has expired, or never existed.')
    deps.logger.info({ rule: id, by: viewer.actor.actor }, 'remembered decision revoked')
    ctx.status = 204
  })

  return router
}
