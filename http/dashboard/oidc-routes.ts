import { Router } from '@koa/router'
import type { Context } from 'koa'
import { FixedWindowLimiter, rateLimit } from '../../plugins/web/rate-limit.js'
import type { DashDeps } from './deps.js'
import type { OidcSettings } from './oidc-config.js'
import { FLOW_TTL_SECONDS, OidcFlow, safeNext } from './oidc-flow.js'
import { identityFrom, signInPerson, SsoRefused } from './oidc-identity.js'

export const FLOW_COOKIE = 'hp_oidc'
/** Where a failed sign-in lands: the login page says it failed, never why (that is in the log). */
export const SSO_FAILED = '/login?sso=failed'

/**
 * Single sign-on: `/auth/oidc/login` sends the browser to the provider, `/auth/oidc/callback`
 * takes it back and signs the person in with the same session a password sign-in makes.
 */
export function oidcRoutes(deps: DashDeps, settings: OidcSettings, prefix: string): Router {
  const flow = new OidcFlow(settings, deps.redis, prefix, deps.publicUrl)
  const secure = new URL(deps.publicUrl).protocol === 'https:'
  const router = new Router({ prefix: '/auth/oidc' })
  // Each start writes a Redis key for ten minutes: an anonymous client gets a bounded number.
  router.use(rateLimit(new FixedWindowLimiter(deps.redis, prefix), { scope: 'dash-sso', limit: 30, windowSeconds: 60 }, (ctx) => `ip:${ctx.ip}`))

  // Scoped to the callback's path and lax, so the provider's top-level redirect back carries it.
  const setFlowCookie = (ctx: Context, value: string, maxAgeSeconds: number) =>
    ctx.cookies.set(FLOW_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/auth/oidc', maxAge: maxAgeSeconds * 1000, overwrite: true })

  router.get('/login', async (ctx) => {
    ctx.set('cache-control', 'no-store')
    const next = safeNext(ctx.query.next)
    let started: Awaited<ReturnType<OidcFlow['begin']>>
    try {
      started = await flow.begin(next)
    } catch (error) {
      deps.logger.warn({ reason: reasonOf(error) }, 'single sign-on: the provider could not be reached')
      ctx.status = 502
      ctx.type = 'text/plain; charset=utf-8'
      ctx.body = 'The sign-in provider did not answer. Try again in a moment.'
      return
    }
    setFlowCookie(ctx, started.flowId, FLOW_TTL_SECONDS)
    ctx.redirect(started.url.href)
  })

  router.get('/callback', async (ctx) => {
    ctx.set('cache-control', 'no-store')
    const flowId = ctx.cookies.get(FLOW_COOKIE)
    setFlowCookie(ctx, '', 0)
    try {
      if (!flowId || flowId.length > 100) throw new SsoRefused('no-flow-cookie')
      const { claims, next } = await flow.finish(flowId, ctx.querystring)
      const who = identityFrom(claims, settings.groupsClaim)
      const { person, created } = await signInPerson(deps.directory, deps.accounts, settings, who)
      await deps.auth.startSession(ctx, { kind: 'person', personId: person.id })
      deps.logger.info({ personId: person.id, role: person.role, created }, 'single sign-on: signed in')
      ctx.redirect(next)
    } catch (error) {
      deps.logger.warn({ reason: reasonOf(error) }, 'single sign-on: refused')
      ctx.redirect(SSO_FAILED)
    }
  })

  return router
}

/**
 * A short reason for the log: our own refusal, or the library's error code. Never the message
 * of a provider error, which may repeat what the provider was sent.
 */
function reasonOf(error: unknown): string {
  if (error instanceof SsoRefused) return error.reason
  if (error && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown }
    if (typeof code === 'string') return code
    if (typeof name === 'string') return name
  }
  return 'unknown'
}
