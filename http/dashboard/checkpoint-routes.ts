import { Router } from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { CheckpointNotFound } from '../../engine/errors.js'
import { CHECKPOINT_ID_PATTERN } from '../../engine/ids.js'
import { recordedOrThrow } from '../../engine/answer-outcome.js'
import { ValidationFailed } from '../../engine/problems.js'
import { mayAct, respondedBy } from '../../machine/identity.js'
import { CHECKPOINT_STATES, isTerminal, type Actor } from '../../machine/types.js'
import { VerifierMisconfigured, VerifierUnavailable } from '../../verify/verdict.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { checkpointDetail } from './checkpoint-detail.js'
import { parse, UI_BODY_LIMIT, type DashDeps } from './deps.js'
import { listInbox } from './inbox.js'
import { maySee, permissionsFor, type Viewer } from './viewer.js'

const listQuery = z.object({
  // An empty `state=` (the form's "All states") means no state filter.
  state: z.preprocess((v) => (v === '' ? undefined : v), z.enum([...CHECKPOINT_STATES, 'open']).optional()),
  assignee: z.string().trim().max(200).optional(),
  q: z.string().max(200).optional(),
  cursor: z.string().regex(CHECKPOINT_ID_PATTERN).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
})
const answerBody = z
  .object({
    response: z.unknown().refine((v) => v !== undefined, { message: 'is required' }),
    /** "Decide the same for the next N days", offered when the checkpoint has `remember`. */
    remember: z.boolean().optional(),
  })
  .strict()
const extractBody = z.object({ text: z.string().trim().min(1).max(4000) }).strict()
const releaseBody = z.object({ reassignTo: z.string().trim().min(1).max(64).optional() }).strict()

const VIEWED_TTL_SECONDS = 90 * 24 * 60 * 60

/** The inbox and one checkpoint: read, claim, release or reassign, answer. */
export function checkpointRoutes(deps: DashDeps): Router {
  const { auth, engine } = deps
  const router = new Router({ prefix: '/ui/api/checkpoints' })
  const via = (viewer: Viewer) => ({ via: viewer.kind === 'grant' ? 'dashboard-grant' : 'dashboard' })

  /**
   * Loads a checkpoint the viewer may see. Anything else is "not found" so ids of other
   * people's checkpoints reveal nothing; an attempt to act on one is still audited.
   */
  async function visible(ctx: Context, viewer: Viewer, attempted?: string): Promise<LoadedCheckpoint> {
    const id = String((ctx.params as Record<string, string | undefined>).id ?? '')
    const cp = CHECKPOINT_ID_PATTERN.test(id) ? await engine.get(id) : null
    if (cp && maySee(viewer, cp)) return cp
    if (cp && attempted) {
      await engine.note(cp.id, { kind: 'refused', actor: respondedBy(viewer.actor), data: { attempted, reason: 'not_routed', ...via(viewer) } })
    }
    throw new CheckpointNotFound(id)
  }

  async function detail(viewer: Viewer, cp: LoadedCheckpoint) {
    return checkpointDetail(cp, await engine.store.readAudit(cp.id), viewer, deps.keyring, deps.publicUrl, deps.extractor.availableFor(cp))
  }

  router.get('/', async (ctx) => {
    const viewer = await auth.requirePerson(ctx)
    const query = parse(listQuery, ctx.query)
    ctx.set('cache-control', 'no-store')
    ctx.body = await listInbox(engine, deps.directory, viewer, {
      limit: query.limit,
      ...(query.state && { state: query.state }),
      ...(query.assignee && { assignee: query.assignee }),
      ...(query.q && { q: query.q }),
      ...(query.cursor && { cursor: query.cursor }),
    })
  })

  router.get('/:id', async (ctx) => {
    const viewer = await auth.requireViewer(ctx)
    const cp = await visible(ctx, viewer)
    // One "viewed" entry per person per checkpoint, however often they reload.
    const first = await deps.redis.set(deps.keys.viewed(cp.id, `${viewer.actor.channel}:${viewer.actor.actor}`), '1', 'EX', VIEWED_TTL_SECONDS, 'NX')
    if (first === 'OK') await engine.note(cp.id, { kind: 'viewed', actor: respondedBy(viewer.actor), data: via(viewer) }, cp)
    ctx.set('cache-control', 'no-store')
    // The view changed only the audit, which detail() reads itself: no second load.
    ctx.body = await detail(viewer, cp)
  })

  router.post('/:id/claim', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireViewer(ctx)
    const cp = await visible(ctx, viewer, 'claimed')
    const outcome = await engine.claim({ id: cp.id, by: viewer.actor, via: via(viewer).via, loaded: cp })
    ctx.body = await detail(viewer, recordedOrThrow(outcome))
  })

  router.post('/:id/release', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireViewer(ctx)
    const body = parse(releaseBody, await readJson(ctx, UI_BODY_LIMIT))
    const cp = await visible(ctx, viewer, 'released')
    const claimant = cp.persisted.context.claimedBy
    const own = claimant !== null && claimant.actor === viewer.actor.actor
    if (body.reassignTo !== undefined && !viewer.operator) throw problem(403, 'forbidden', 'Operators only', 'Only operators may reassign a claim.')
    let target: Actor | null = null
    if (body.reassignTo !== undefined) {
      const person = await deps.directory.get(body.reassignTo)
      if (!person) throw new ValidationFailed([{ path: '/reassignTo', message: 'is not a known person' }])
      target = { channel: 'dashboard', actor: person.id, name: person.name, identities: deps.directory.identities(person) }
      if (!mayAct(cp.persisted.context, target)) {
        throw new ValidationFailed([{ path: '/reassignTo', message: `${person.name} is not among the people this checkpoint is assigned to` }])
      }
    }
    let updated = cp
    if (claimant !== null && (own || viewer.operator)) {
      // An operator releases in the claimant's name (the machine only lets a claimant
      // release); the audit entry records which operator did it.
      const by: Actor = own ? viewer.actor : { channel: claimant.channel, actor: claimant.actor, ...(claimant.name !== undefined && { name: claimant.name }) }
      const data = own ? via(viewer) : { ...via(viewer), data: { releasedBy: respondedBy(viewer.actor) } }
      updated = recordedOrThrow(await engine.release({ id: cp.id, by, ...data, loaded: cp }))
    } else if (target === null) {
      // Not the claimant: let the machine refuse it, which audits the attempt.
      updated = recordedOrThrow(await engine.release({ id: cp.id, by: viewer.actor, ...via(viewer), loaded: cp }))
    }
    if (target !== null) {
      updated = recordedOrThrow(await engine.claim({ id: cp.id, by: target, ...via(viewer), data: { assignedBy: respondedBy(viewer.actor) }, loaded: updated }))
    }
    ctx.body = await detail(viewer, updated)
  })

  router.post('/:id/answer', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireViewer(ctx)
    const body = parse(answerBody, await readJson(ctx, UI_BODY_LIMIT))
    const cp = await visible(ctx, viewer, 'answered')
    if (body.remember && !cp.request.remember) throw new ValidationFailed([{ path: '/remember', message: 'this checkpoint does not offer to remember the decision' }])
    const outcome = await engine.answer({ id: cp.id, by: viewer.actor, response: body.response, ...via(viewer), loaded: cp })
    const answered = recordedOrThrow(outcome)
    // Only once the answer stands: a refused or invalid answer is never remembered.
    if (body.remember) {
      try {
        await deps.rules.remember(engine, answered, viewer.actor, body.response)
      } catch (error) {
        deps.logger.error({ checkpointId: answered.id, err: (error as Error).message }, 'answer recorded, remembering it failed')
        throw problem(503, 'not-remembered', 'Answer recorded, not remembered', 'Your answer was recorded, but remembering it for later requests failed. Later requests will come to you as usual.')
      }
    }
    // As committed: remembering adds only an audit entry, which detail() reads itself.
    ctx.body = await detail(viewer, answered)
  })

  /**
   * "Answer in words": the model's reading of the text as a typed answer, checked against
   * responseSchema. It changes nothing (no claim, no answer, no audit entry); the page shows
   * the proposal and, once the person confirms, sends it to `/answer`, which validates again.
   */
  router.post('/:id/extract', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireViewer(ctx)
    const body = parse(extractBody, await readJson(ctx, UI_BODY_LIMIT))
    const cp = await visible(ctx, viewer)
    if (isTerminal(cp.state)) throw problem(409, 'terminal', 'Not applied', `The checkpoint is already ${cp.state}.`)
    const can = permissionsFor(viewer, cp)
    if (!can.answer) throw problem(403, 'forbidden', 'You cannot answer this checkpoint', can.reason ?? 'You cannot answer this checkpoint.')
    try {
      ctx.set('cache-control', 'no-store')
      ctx.body = { checkpointId: cp.id, ...(await deps.extractor.extract(cp, body.text)) }
    } catch (error) {
      if (error instanceof VerifierMisconfigured) throw problem(409, 'extraction-unavailable', 'No model to read free text', error.message)
      if (error instanceof VerifierUnavailable) {
        ctx.set('retry-after', String(Math.ceil((error.retryAfterMs ?? 5_000) / 1000)))
        throw problem(503, 'model-unavailable', 'The model is unavailable', 'Reading your words failed for now; try again shortly, or use the form.')
      }
      throw error
    }
  })

  return router
}
