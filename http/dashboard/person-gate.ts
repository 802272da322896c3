import type { Middleware } from 'koa'
import type { PersonMount, SignedInPerson } from '../../plugins/plugin.js'
import type { DashboardAuth } from './auth.js'

const MOUNT = /^\/ui\/api\/([a-z0-9][a-z0-9-]*)(?:\/|$)/

/**
 * Other plugins' `personRoutes` behind the dashboard's own checks, so a channel that keeps
 * per-person settings never handles sessions or CSRF itself: only a signed-in person (not a
 * one-checkpoint grant) gets through, and writes need the session's token from this origin.
 * Mounted after the dashboard's own routes, so a plugin can never shadow one of them.
 */
export function personGate(auth: DashboardAuth, mounts: () => readonly PersonMount[]): Middleware {
  return async (ctx, next) => {
    const name = MOUNT.exec(ctx.path)?.[1]
    const mount = name === undefined ? undefined : mounts().find((m) => m.plugin === name)
    if (!mount) {
      await next()
      return
    }
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') await auth.checkWrite(ctx)
    const viewer = await auth.requirePerson(ctx)
    if (!viewer.person) throw new Error('a person session without a person')
    const signedIn: SignedInPerson = { person: viewer.person, actor: viewer.actor }
    ctx.state.person = signedIn
    ctx.set('cache-control', 'no-store')
    await mount.routes(ctx, next)
  }
}
