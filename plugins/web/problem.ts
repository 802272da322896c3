import type { Context, Middleware } from 'koa'
import { CheckpointArchived, CheckpointNotFound, CommitContention, EventRefused, IdempotencyConflict } from '../../engine/errors.js'
import { ValidationFailed, type FieldProblem } from '../../engine/problems.js'
import type { Logger } from 'pino'
import { requestIds } from '../log-context.js'

/** RFC 9457 problem details; `errors` lists each failing JSON pointer for validation failures. */
export interface Problem {
  type: string
  title: string
  status: number
  detail?: string
  errors?: FieldProblem[]
  [extension: string]: unknown
}

export class HttpProblem extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title)
    this.name = 'HttpProblem'
  }
}

const TYPE_BASE = 'https://holdpoint.dev/problems/'

export function problem(status: number, slug: string, title: string, detail?: string, extra: Record<string, unknown> = {}): HttpProblem {
  return new HttpProblem({ type: TYPE_BASE + slug, title, status, ...(detail !== undefined && { detail }), ...extra })
}

export function sendProblem(ctx: Context, p: Problem): void {
  ctx.status = p.status
  ctx.type = 'application/problem+json'
  ctx.body = p
}

function toProblem(error: unknown): Problem | null {
  if (error instanceof HttpProblem) return error.problem
  if (error instanceof ValidationFailed) {
    return { type: TYPE_BASE + 'validation', title: 'Validation failed', status: 422, detail: error.message, errors: error.problems }
  }
  if (error instanceof CheckpointArchived) {
    return { type: TYPE_BASE + 'archived', title: 'Checkpoint archived', status: 410, detail: error.message, archiveFile: error.archiveFile }
  }
  if (error instanceof CheckpointNotFound) {
    return { type: TYPE_BASE + 'not-found', title: 'Checkpoint not found', status: 404, detail: error.message }
  }
  if (error instanceof EventRefused) {
    const status = error.refusal.code === 'not_assigned' ? 403 : 409
    return { type: TYPE_BASE + error.refusal.code.replace(/_/g, '-'), title: 'Not applied', status, detail: error.message, reason: error.refusal.code }
  }
  if (error instanceof IdempotencyConflict) {
    return { type: TYPE_BASE + 'idempotency-conflict', title: 'Idempotency key reused', status: 409, detail: error.message }
  }
  if (error instanceof CommitContention) {
    return { type: TYPE_BASE + 'contention', title: 'Try again', status: 503, detail: error.message }
  }
  return null
}

/**
 * Turns "not found" into "archived" (410) for ids that retention moved out of Redis. Only
 * looked up on a miss, so live requests pay nothing. Mount inside problemMiddleware.
 */
export function archivedMiddleware(archivedFile: (id: string) => Promise<string | null>): Middleware {
  return async (_ctx, next) => {
    try {
      await next()
    } catch (error) {
      if (!(error instanceof CheckpointNotFound) || error instanceof CheckpointArchived || !error.checkpointId.startsWith('cp_')) throw error
      const file = await archivedFile(error.checkpointId)
      throw file ? new CheckpointArchived(error.checkpointId, file) : error
    }
  }
}

/** Maps every known failure to problem+json; anything else is a logged 500 without internals. */
export function problemMiddleware(logger: Logger): Middleware {
  return async (ctx, next) => {
    try {
      await next()
      if (ctx.status === 404 && ctx.body === undefined) {
        sendProblem(ctx, { type: TYPE_BASE + 'no-route', title: 'Not found', status: 404, detail: `No route for ${ctx.method} ${ctx.path}.` })
      }
    } catch (error) {
      const p = toProblem(error)
      if (p) {
        sendProblem(ctx, p)
        return
      }
      logger.error({ err: error, ...requestIds(ctx), method: ctx.method, path: ctx.path }, 'unhandled error')
      sendProblem(ctx, { type: TYPE_BASE + 'internal', title: 'Internal error', status: 500 })
    }
  }
}
