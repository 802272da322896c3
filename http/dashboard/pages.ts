import type { Context, Middleware } from 'koa'
import { openDashboardGrant } from '../../engine/dashboard-grant.js'
import { CHECKPOINT_ID_PATTERN } from '../../engine/ids.js'
import type { DashDeps } from './deps.js'
import { StaticFiles } from './static-files.js'

const OPEN_PAGES = [/^\/login$/, /^\/setup\/[\w-]{1,200}$/]
const SIGNED_IN_PAGES = [/^\/$/, /^\/checkpoints\/[^/]+$/, /^\/batches\/[^/]+$/, /^\/admin\/people$/, /^\/admin\/audit$/, /^\/admin\/rules$/, /^\/account$/]

const NOT_BUILT = 'The dashboard UI is not built. Run `npm run build` (npm ci and npm start do it for you).'

/**
 * The dashboard's pages: one HTML shell for every page (the UI routes on the client), the
 * hashed assets, the sign-in redirect, and `?grant=` links from channels.
 */
export function pageRoutes(deps: DashDeps, uiDist: string): Middleware {
  const files = new StaticFiles(uiDist)

  async function shell(ctx: Context) {
    ctx.set('x-frame-options', 'DENY')
    ctx.set('referrer-policy', 'same-origin')
    ctx.set('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
    if (!(await files.send(ctx, 'index.html', 'none'))) {
      ctx.status = 503
      ctx.type = 'text/plain; charset=utf-8'
      ctx.body = NOT_BUILT
    }
  }

  /** A channel's link into one checkpoint: a short session that can act on only that one. */
  async function openGrant(ctx: Context, checkpointId: string, token: string) {
    const existing = await deps.auth.viewer(ctx)
    if (existing?.kind !== 'person') {
      const grant = openDashboardGrant(deps.keyring, token)
      if (!grant.ok || grant.claims.cp !== checkpointId) {
        ctx.status = 403
        ctx.type = 'text/plain; charset=utf-8'
        ctx.body = grant.ok || grant.reason !== 'expired' ? 'This link is not valid for this checkpoint.' : 'This link has expired. Ask for a new one or sign in.'
        return
      }
      const ttl = Math.max(60, grant.claims.exp - Math.floor(Date.now() / 1000))
      await deps.auth.startSession(ctx, { kind: 'grant', checkpointId, channel: grant.claims.ch, handle: grant.claims.h }, ttl)
    }
    // Drop the token from the address bar and history.
    ctx.redirect(`/checkpoints/${checkpointId}`)
  }

  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
      await next()
      return
    }
    const path = ctx.path
    if (path.startsWith('/assets/')) {
      if (!(await files.send(ctx, path.slice(1), 'immutable'))) await next()
      return
    }
    if (path === '/favicon.svg' || path === '/favicon.ico' || path === '/manifest.webmanifest' || /^\/icons\/[\w-]+\.png$/.test(path)) {
      if (!(await files.send(ctx, path.slice(1), 'revalidate'))) await next()
      return
    }
    // The service worker keeps its name across deploys; never cached, so an update is seen at once.
    // Its script's CSP governs the worker: it fetches /push/act and the icons, nothing elsewhere.
    if (path === '/sw.js') {
      ctx.set('content-security-policy', "default-src 'self'; frame-ancestors 'none'; base-uri 'none'")
      if (!(await files.send(ctx, 'sw.js', 'none'))) await next()
      return
    }
    if (OPEN_PAGES.some((re) => re.test(path))) return shell(ctx)
    if (!SIGNED_IN_PAGES.some((re) => re.test(path))) {
      await next()
      return
    }

    const checkpointMatch = /^\/checkpoints\/([^/]+)$/.exec(path)
    const grant = typeof ctx.query.grant === 'string' ? ctx.query.grant : null
    if (checkpointMatch && grant !== null) {
      const id = checkpointMatch[1]!
      if (CHECKPOINT_ID_PATTERN.test(id)) await openGrant(ctx, id, grant)
      else await next()
      return
    }
    const viewer = await deps.auth.viewer(ctx)
    const allowed = viewer?.kind === 'person' || (viewer?.kind === 'grant' && checkpointMatch?.[1] === viewer.onlyCheckpoint)
    if (!allowed) {
      ctx.redirect(`/login?next=${encodeURIComponent(ctx.url)}`)
      return
    }
    return shell(ctx)
  }
}
