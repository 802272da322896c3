import { Readable } from 'node:stream'
import { Router } from '@koa/router'
import { z } from 'zod'
import { CHECKPOINT_ID_PATTERN } from '../../engine/ids.js'
import { csvHeader, csvRow, EXPORT_SCAN_CAP, jsonlRow, searchAudit, walkAudit, type AuditQuery } from './audit-search.js'
import { parse, type DashDeps } from './deps.js'

const date = z
  .string()
  .trim()
  .refine((v) => !Number.isNaN(Date.parse(v)), 'must be a date (YYYY-MM-DD or ISO 8601)')
  .optional()
const searchQuery = z.object({
  actor: z.string().trim().max(200).optional(),
  from: date,
  to: date,
  q: z.string().max(200).optional(),
  cursor: z.string().regex(CHECKPOINT_ID_PATTERN).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  format: z.enum(['csv', 'jsonl']).optional(),
})

/** A bare date means the whole day: `to=2026-11-25` includes that day's last millisecond. */
function bound(value: string | undefined, end: boolean): number | undefined {
  if (!value) return undefined
  const ms = Date.parse(value)
  return end && /^\d{4}-\d{2}-\d{2}$/.test(value) ? ms + 24 * 3600 * 1000 - 1 : ms
}

function toQuery(q: z.output<typeof searchQuery>): AuditQuery {
  const from = bound(q.from, false)
  const to = bound(q.to, true)
  return {
    ...(q.actor && { actor: q.actor }),
    ...(q.q && { q: q.q }),
    ...(q.cursor && { cursor: q.cursor }),
    ...(from !== undefined && { from }),
    ...(to !== undefined && { to }),
  }
}

/** Operator-wide audit: search (paged) and export (CSV or JSONL, streamed). */
export function auditRoutes(deps: DashDeps): Router {
  const { auth, engine, keyring } = deps
  const router = new Router({ prefix: '/ui/api/audit' })

  router.get('/', async (ctx) => {
    await auth.requireOperator(ctx)
    const q = parse(searchQuery, ctx.query)
    ctx.set('cache-control', 'no-store')
    ctx.body = await searchAudit(engine, keyring, toQuery(q), q.limit)
  })

  router.get('/export', async (ctx) => {
    const viewer = await auth.requireOperator(ctx)
    const q = parse(searchQuery, ctx.query)
    const format = q.format ?? 'csv'
    const query = toQuery(q)
    async function* lines() {
      if (format === 'csv') yield csvHeader()
      for await (const step of walkAudit(engine, keyring, query, EXPORT_SCAN_CAP)) {
        for (const row of step.rows) yield format === 'csv' ? csvRow(row) : jsonlRow(row)
      }
    }
    deps.logger.info({ by: viewer.actor.actor, format }, 'audit exported')
    const stamp = new Date().toISOString().slice(0, 10)
    ctx.set('cache-control', 'no-store')
    ctx.set('content-disposition', `attachment; filename="holdpoint-audit-${stamp}.${format}"`)
    ctx.type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8'
    ctx.body = Readable.from(lines())
  })

  return router
}
