import { Router } from '@koa/router'
import type { Context } from 'koa'
import { z } from 'zod'
import { verifyChain } from '../../engine/audit.js'
import type { ChangeFeed } from '../../engine/change-feed.js'
import { toView } from '../../engine/checkpoint-view.js'
import type { Engine } from '../../engine/engine.js'
import { CheckpointNotFound } from '../../engine/errors.js'
import { CHECKPOINT_ID_PATTERN } from '../../engine/ids.js'
import { recordedOrThrow } from '../../engine/answer-outcome.js'
import type { Keyring } from '../../engine/keyring.js'
import { problemsFromZod, ValidationFailed } from '../../engine/problems.js'
import { validateCreate, type Capabilities } from '../../engine/validate-create.js'
import { channelOfRecipient, RECIPIENT_PATTERN } from '../../engine/create-spec.js'
import { CHECKPOINT_STATES, isTerminal, type Actor } from '../../machine/types.js'
import type { AgentState } from '../auth.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { ownCheckpointsOnly, SEE_ALL, visibleTo, type TokenScope } from '../token-scope.js'
import { bulkItemResult, type BulkItemResult } from '../bulk-outcome.js'
import type { ResumeRedriver } from '../../queues/resume-redriver.js'

export interface CheckpointRoutesDeps {
  engine: Engine
  changes: ChangeFeed
  keyring: Keyring
  capabilities: Capabilities
  publicUrl: string
  bodyLimit: number
  redriver: ResumeRedriver
  /** HOLDPOINT_TOKEN_SCOPE; absent means every token sees every checkpoint. */
  tokenScope?: TokenScope
}

const DEFAULT_WAIT_SECONDS = 25
const MAX_WAIT_SECONDS = 60

const answerBody = z
  .object({
    response: z.unknown().refine((v) => v !== undefined, { message: 'is required' }),
    actor: z.string().trim().min(1).max(200),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict()

/** At most this many answers per call, so one request cannot hold a server for long. */
export const MAX_BULK_ANSWERS = 100

const bulkAnswerBody = z
  .object({
    items: z
      .array(z.object({ id: z.string().min(1).max(100), response: z.unknown().refine((v) => v !== undefined, { message: 'is required' }) }).strict())
      .min(1)
      .max(MAX_BULK_ANSWERS),
    actor: z.string().trim().min(1).max(200),
    name: z.string().trim().min(1).max(200).optional(),
  })
  .strict()

const cancelBody = z.object({ reason: z.string().trim().max(1000).optional() }).strict()

const extendBody = z
  .object({ timeoutSeconds: z.number().int().min(1).max(60 * 60 * 24 * 90).optional(), expiresAt: z.iso.datetime().optional() })
  .strict()
  .refine((b) => (b.timeoutSeconds === undefined) !== (b.expiresAt === undefined), { message: 'give exactly one of timeoutSeconds (from now) or expiresAt' })

const reassignBody = z
  .object({ assignTo: z.array(z.string().regex(RECIPIENT_PATTERN)).min(1).max(100), notify: z.array(z.string().regex(RECIPIENT_PATTERN)).max(100).optional() })
  .strict()

const listQuery = z.object({
  state: z.enum(CHECKPOINT_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().regex(CHECKPOINT_ID_PATTERN).optional(),
})

function parse<T extends z.ZodType>(schema: T, value: unknown, base: string[] = []): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw new ValidationFailed(problemsFromZod(result.error, base))
  return result.data
}

function checkpointId(ctx: Context): string {
  const id = String((ctx.params as Record<string, string | undefined>).id ?? '')
  if (!CHECKPOINT_ID_PATTERN.test(id)) throw new CheckpointNotFound(id)
  return id
}

/** The agent API of api.md. Handlers authenticate (upstream), validate, call the engine, map. */
export function checkpointRoutes(deps: CheckpointRoutesDeps): Router<AgentState> {
  const { engine } = deps
  const router = new Router<AgentState>({ prefix: '/v1/checkpoints' })
  const scope = deps.tokenScope ?? SEE_ALL
  router.param('id', ownCheckpointsOnly(scope, engine))
  const view = (cp: Parameters<typeof toView>[0]) => toView(cp, deps.publicUrl)
  const serviceActor = (ctx: Context, actor: string, name?: string): Actor => ({
    channel: 'api',
    actor,
    via: String(ctx.state.principal),
    ...(name !== undefined && { name }),
  })

  router.post('/', async (ctx) => {
    const body = await readJson(ctx, deps.bodyLimit)
    const headerKey = ctx.get('idempotency-key') || undefined
    if (headerKey !== undefined && headerKey.length > 255) {
      throw new ValidationFailed([{ path: '/idempotencyKey', message: 'Idempotency-Key must be at most 255 characters' }])
    }
    const bodyKey = body !== null && typeof body === 'object' ? (body as { idempotencyKey?: unknown }).idempotencyKey : undefined
    if (headerKey !== undefined && bodyKey !== undefined && bodyKey !== headerKey) {
      throw new ValidationFailed([{ path: '/idempotencyKey', message: 'differs from the Idempotency-Key header' }])
    }
    const spec = await validateCreate(body, deps.capabilities)
    if (headerKey !== undefined) spec.idempotencyKey = headerKey
    const { checkpoint, replayed } = await engine.create(spec, ctx.state.principal)
    ctx.status = replayed ? 200 : 201
    if (replayed) ctx.set('Idempotent-Replayed', 'true')
    ctx.set('Location', `/v1/checkpoints/${checkpoint.id}`)
    ctx.body = view(checkpoint)
  })

  router.get('/', async (ctx) => {
    const query = parse(listQuery, ctx.query)
    const { ids, next } = await engine.store.list({ limit: query.limit, ...(query.state && { state: query.state }), ...(query.cursor && { cursor: query.cursor }) })
    const loaded = await Promise.all(ids.map((id) => engine.get(id)))
    ctx.body = { items: loaded.filter((c) => c !== null).filter((c) => visibleTo(scope, ctx.state.principal, c)).map(view), nextCursor: next }
  })

  router.get('/:id', async (ctx) => {
    const cp = ctx.state.checkpoint ?? (await engine.get(checkpointId(ctx)))
    if (!cp) throw new CheckpointNotFound(checkpointId(ctx))
    ctx.body = view(cp)
  })

  router.get('/:id/wait', async (ctx) => {
    const id = checkpointId(ctx)
    const requested = Number(ctx.query.timeoutSeconds ?? DEFAULT_WAIT_SECONDS)
    if (!Number.isFinite(requested) || requested < 0) {
      throw new ValidationFailed([{ path: '/timeoutSeconds', message: 'must be a number of seconds ≥ 0' }])
    }
    const waitMs = Math.min(requested, MAX_WAIT_SECONDS) * 1000
    // Listen before reading, so an answer committed between the read and the wait is not missed.
    let wake: () => void = () => undefined
    const woken = new Promise<void>((resolve) => (wake = resolve))
    const stop = deps.changes.watch(id, (change) => {
      if (isTerminal(change.state)) wake()
    })
    const onClose = () => wake()
    ctx.req.once('close', onClose)
    let timer: NodeJS.Timeout | undefined
    try {
      const first = await engine.get(id)
      if (!first) throw new CheckpointNotFound(id)
      if (isTerminal(first.state) || waitMs === 0) {
        ctx.body = view(first)
        return
      }
      await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))])
      const latest = await engine.get(id)
      if (!latest) throw new CheckpointNotFound(id)
      ctx.body = view(latest)
    } finally {
      stop()
      clearTimeout(timer)
      ctx.req.off('close', onClose)
    }
  })

  router.post('/:id/response', async (ctx) => {
    const id = checkpointId(ctx)
    const body = parse(answerBody, await readJson(ctx, deps.bodyLimit))
    const outcome = await engine.answer({ id, by: serviceActor(ctx, body.actor, body.name), response: body.response, via: 'api', loaded: ctx.state.checkpoint })
    ctx.body = view(recordedOrThrow(outcome, '/response'))
  })

  /**
   * Many answers in one call (a batch decided elsewhere). Each item goes through
   * Engine.answer on its own, so each is validated and audited as if sent alone; the reply
   * has a result per item, in order. One at a time: they are usually one person's decisions
   * and none should wait on another's contention.
   */
  router.post('/answers', async (ctx) => {
    const body = parse(bulkAnswerBody, await readJson(ctx, deps.bodyLimit))
    const by = serviceActor(ctx, body.actor, body.name)
    const principal = String(ctx.state.principal)
    const results: BulkItemResult[] = []
    for (const item of body.items) {
      const cp = CHECKPOINT_ID_PATTERN.test(item.id) ? await engine.get(item.id) : null
      // Another token's checkpoint is "not found", exactly as on the single-answer route.
      if (!cp || !visibleTo(scope, principal, cp)) {
        results.push({ id: item.id, status: 404 })
        continue
      }
      results.push(bulkItemResult(await engine.answer({ id: item.id, by, response: item.response, via: 'api', data: { bulk: true }, loaded: cp })))
    }
    ctx.body = { items: results }
  })

  router.post('/:id/cancel', async (ctx) => {
    const id = checkpointId(ctx)
    const body = parse(cancelBody, await readJson(ctx, deps.bodyLimit))
    const by = serviceActor(ctx, ctx.state.principal)
    const updated = await engine.send(id, (now) => ({ type: 'checkpoint.cancel', now, by, ...(body.reason !== undefined && { reason: body.reason }) }), {}, ctx.state.checkpoint)
    ctx.body = view(updated)
  })

  router.post('/:id/extend', async (ctx) => {
    const id = checkpointId(ctx)
    const body = parse(extendBody, await readJson(ctx, deps.bodyLimit))
    const by = serviceActor(ctx, ctx.state.principal)
    const updated = await engine.send(id, (now) => ({
      type: 'checkpoint.extend',
      now,
      by,
      timeoutAt: body.expiresAt !== undefined ? Date.parse(body.expiresAt) : now + (body.timeoutSeconds ?? 0) * 1000,
    }), {}, ctx.state.checkpoint)
    ctx.body = view(updated)
  })

  router.post('/:id/reassign', async (ctx) => {
    const id = checkpointId(ctx)
    const body = parse(reassignBody, await readJson(ctx, deps.bodyLimit))
    const problems = [...body.assignTo, ...(body.notify ?? [])].flatMap((r, i) => {
      const channel = channelOfRecipient(r)
      return deps.capabilities.channels.has(channel) ? [] : [{ path: i < body.assignTo.length ? `/assignTo/${i}` : `/notify/${i - body.assignTo.length}`, message: `the ${channel} channel is not enabled on this server` }]
    })
    if (problems.length > 0) throw new ValidationFailed(problems)
    const by = serviceActor(ctx, ctx.state.principal)
    const updated = await engine.send(id, (now) => ({ type: 'checkpoint.reassign', now, by, assignTo: body.assignTo, ...(body.notify && { notify: body.notify }) }), {}, ctx.state.checkpoint)
    ctx.body = view(updated)
  })

  router.get('/:id/audit', async (ctx) => {
    const id = checkpointId(ctx)
    const entries = await engine.store.readAudit(id)
    if (entries.length === 0) throw new CheckpointNotFound(id)
    ctx.body = { checkpointId: id, chain: verifyChain(deps.keyring, entries), entries }
  })

  router.post('/:id/resume', async (ctx) => {
    const id = checkpointId(ctx)
    const cp = ctx.state.checkpoint ?? (await engine.get(id))
    if (!cp) throw new CheckpointNotFound(id)
    if (!isTerminal(cp.state)) throw problem(409, 'not-finished', 'Not finished', `The checkpoint is ${cp.state}; there is nothing to resume yet.`)
    if (!cp.request.resume) throw problem(409, 'no-resume-target', 'No resume target', 'This checkpoint is long-polled; it has no callback to re-drive.')
    const outcome = await deps.redriver.redrive(cp, ctx.query.force === 'true')
    if (outcome === 'already-resumed') {
      throw problem(409, 'already-resumed', 'Already resumed', 'The agent was already resumed; add ?force=true to send it again (same webhook-id).')
    }
    await engine.note(id, { kind: 'resume.redriven', actor: { channel: 'api', actor: ctx.state.principal }, data: { outcome } }, cp)
    ctx.status = 202
    ctx.body = { checkpointId: id, outcome }
  })

  return router
}
