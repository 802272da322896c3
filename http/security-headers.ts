import type { Middleware } from 'koa'

/**
 * Baseline security headers on every response. Surfaces that know better (the dashboard's
 * pages, the magic-link pages) set their own policy and it is kept; everything else gets the
 * strictest one that still works for it. Set before the handler runs, so streamed responses
 * (SSE) carry them too, and checked again after, when the content type is known.
 */

/** JSON, problem+json, metrics: nothing to load, nothing may frame it. */
const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
/** An HTML page that did not bring its own policy: same-origin assets only, never framed. */
const HTML_CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

/** Magic links carry their capability in the path: no page they lead to may leak it on. */
const isLinkPath = (path: string) => path.startsWith('/m/')

export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    ctx.set('x-content-type-options', 'nosniff')
    ctx.set('x-frame-options', 'DENY')
    ctx.set('content-security-policy', API_CSP)
    ctx.set('referrer-policy', 'no-referrer')
    ctx.set('cross-origin-opener-policy', 'same-origin')
    await next()
    if (ctx.headerSent) return
    const html = Boolean(ctx.response.is('html'))
    if (html && ctx.response.get('content-security-policy') === API_CSP) ctx.set('content-security-policy', HTML_CSP)
    // Pages may relax the referrer policy for same-origin navigation, never on link pages.
    if (isLinkPath(ctx.path)) ctx.set('referrer-policy', 'no-referrer')
    // Headers a handler removed (some libraries reset them) come back.
    if (!ctx.response.get('x-content-type-options')) ctx.set('x-content-type-options', 'nosniff')
  }
}
