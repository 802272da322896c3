import { Router } from '@koa/router'
import type { Context } from 'koa'
import type { Absence } from '../../engine/absences.js'
import { absenceSchema } from '../../engine/absences.js'
import { ValidationFailed } from '../../engine/problems.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { parse, UI_BODY_LIMIT, type DashDeps } from './deps.js'

/**
 * "Away from … to …, delegate to …": a person for themselves (`/ui/api/me/away`), an operator
 * for anyone (`/ui/api/people/:id/away`). Routing reads it (engine/directory.ts); these routes
 * only keep it.
 */
export function awayRoutes(deps: DashDeps): Router {
  const { auth, directory } = deps
  const router = new Router({ prefix: '/ui/api' })

  const view = async (a: Absence | null) => {
    if (!a) return { away: null }
    const delegate = await directory.get(a.delegateTo)
    return {
      away: {
        from: new Date(a.from).toISOString(),
        to: new Date(a.to).toISOString(),
        delegateTo: a.delegateTo,
        delegateName: delegate?.name ?? null,
        active: directory.absences.isActive(a),
        setBy: a.setBy,
      },
    }
  }

  async function put(ctx: Context, personId: string, by: string) {
    const input = parse(absenceSchema, await readJson(ctx, UI_BODY_LIMIT))
    if (input.delegateTo === personId) throw new ValidationFailed([{ path: '/delegateTo', message: 'cannot be the person who is away' }])
    if (!(await directory.get(input.delegateTo))) throw new ValidationFailed([{ path: '/delegateTo', message: 'no such person' }])
    const absence = await directory.absences.set(personId, input, by)
    deps.logger.info({ personId, delegateTo: absence.delegateTo, from: input.from, to: input.to, by }, 'away set')
    ctx.body = await view(absence)
  }

  async function clear(ctx: Context, personId: string, by: string) {
    await directory.absences.clear(personId)
    deps.logger.info({ personId, by }, 'away cleared')
    ctx.status = 204
  }

  async function existing(id: string) {
    if (!(await directory.get(id))) throw problem(404, 'not-found', 'No such person')
    return id
  }

  router.get('/me/away', async (ctx) => {
    const viewer = await auth.requirePerson(ctx)
    ctx.set('cache-control', 'no-store')
    // Whom they may pick: ids and names only (reviewers cannot list people otherwise).
    const delegates = (await directory.list()).filter((p) => p.id !== viewer.actor.actor).map((p) => ({ id: p.id, name: p.name }))
    ctx.body = { ...(await view(await directory.absences.get(viewer.actor.actor))), delegates }
  })
  router.put('/me/away', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requirePerson(ctx)
    await put(ctx, viewer.actor.actor, viewer.actor.actor)
  })
  router.delete('/me/away', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requirePerson(ctx)
    await clear(ctx, viewer.actor.actor, viewer.actor.actor)
  })

  router.get('/people/:id/away', async (ctx) => {
    await auth.requireOperator(ctx)
    ctx.set('cache-control', 'no-store')
    ctx.body = await view(await directory.absences.get(await existing(String(ctx.params.id))))
  })
  router.put('/people/:id/away', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireOperator(ctx)
    await put(ctx, await existing(String(ctx.params.id)), viewer.actor.actor)
  })
  router.delete('/people/:id/away', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireOperator(ctx)
    await clear(ctx, await existing(String(ctx.params.id)), viewer.actor.actor)
  })

  return router
}
