import type { Context } from 'koa'

/**
 * The ids a log line about one request carries: the request id (the caller's `x-request-id`,
 * or one the first middleware made up and echoed) and, on checkpoint routes, the checkpoint.
 *
 * Read off the Koa context rather than kept in an AsyncLocalStorage: on Node 20 a store that
 * is ever entered installs promise hooks for every promise of the process (ioredis', BullMQ's),
 * which cost about a fifth of the server's CPU per checkpoint lifecycle (docs/performance.md). Lines
 * written below the HTTP layer name their own ids (checkpoint, job, person) instead.
 */
export function requestIds(ctx: Context): { requestId?: string; checkpointId?: string } {
  const requestId = ctx.response.get('x-request-id')
  const id = (ctx as { params?: Record<string, string> }).params?.id
  return { ...(requestId && { requestId }), ...(id?.startsWith('cp_') && { checkpointId: id }) }
}
