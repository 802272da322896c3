import type { Middleware } from 'koa'

/** Runs middleware in order, each one's `next` being the following one (what koa-compose does). */
export function chain(middleware: Middleware[]): Middleware {
  return (ctx, next) => middleware.reduceRight<() => Promise<unknown>>((after, mw) => () => Promise.resolve(mw(ctx, after)), next)()
}
