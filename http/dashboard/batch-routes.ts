import { Router } from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { CheckpointNotFound } from '../../engine/errors.js'
import { CHECKPOINT_ID_PATTERN } from '../../engine/ids.js'
import { respondedBy } from '../../machine/identity.js'
import { bulkItemResult, type BulkItemResult } from '../bulk-outcome.js'
import { parse, UI_BODY_LIMIT, type DashDeps } from './deps.js'
import { readJson } from '../../plugins/web/read-json.js'
import { batchItem, visibleMembers, type BatchPage } from './batch-view.js'
import { maySee, type Viewer } from './viewer.js'

const MAX_ITEMS = 200

const answersBody = z
  .object({
    items: z
      .array(z.object({ id: z.string().regex(CHECKPOINT_ID_PATTERN), response: z.unknown().refine((v) => v !== undefined, { message: 'is required' }) }).strict())
      .min(1)
      .max(MAX_ITEMS),
  })
  .strict()

/**
 * A batch: the checkpoints one agent raised under one `batch.id`, opened by any member's id.
 * Answering many is a loop over Engine.answer, so each item is validated, routed and audited
 * as if answered on its own page; an item that fails stays pending with its error.
 */
export function batchRoutes(deps: DashDeps): Router {
  const { auth, engine } = deps
  const router = new Router({ prefix: '/ui/api/batches' })
  const via = (viewer: Viewer) => (viewer.kind === 'grant' ? 'dashboard-grant' : 'dashboard')

  async function members(ctx: Context, viewer: Viewer): Promise<{ opened: LoadedCheckpoint; items: LoadedCheckpoint[] }> {
    const id = String((ctx.params as Record<string, string | undefined>).id ?? '')
    const opened = CHECKPOINT_ID_PATTERN.test(id) ? await engine.get(id) : null
    const batch = opened?.request.batch
    if (!opened || !batch || !maySee(viewer, opened)) throw new CheckpointNotFound(id)
    const ids = await engine.store.batchMembers(opened.request.createdBy, batch.id)
    return { opened, items: visibleMembers(await Promise.all(ids.map((m) => engine.get(m))), viewer) }
  }

  router.get('/:id', async (ctx) => {
    const viewer = await auth.requirePerson(ctx)
    const { opened, items } = await members(ctx, viewer)
    const page: BatchPage = { batch: opened.request.batch ?? { id: '', title: '' }, openedWith: opened.id, items: items.map((cp) => batchItem(cp, viewer)) }
    ctx.set('cache-control', 'no-store')
    ctx.body = page
  })

  router.post('/:id/answers', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requirePerson(ctx)
    const body = parse(answersBody, await readJson(ctx, UI_BODY_LIMIT))
    const { opened, items } = await members(ctx, viewer)
    const inBatch = new Map(items.map((cp) => [cp.id, cp]))
    const batchId = opened.request.batch?.id
    const results: BulkItemResult[] = []
    for (const item of body.items) {
      const loaded = inBatch.get(item.id)
      if (!loaded) {
        // Not a member the viewer sees: "not found", as on the single-answer route.
        results.push({ id: item.id, status: 404 })
        continue
      }
      results.push(bulkItemResult(await engine.answer({ id: item.id, by: viewer.actor, response: item.response, via: via(viewer), data: { batch: batchId }, loaded })))
    }
    deps.logger.info({ batch: batchId, by: respondedBy(viewer.actor).actor, answered: results.filter((r) => r.status === 200).length, of: results.length }, 'batch answered')
    ctx.body = { items: results }
  })

  return router
}
