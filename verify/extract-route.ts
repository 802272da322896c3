import { Router } from '@koa/router'
import { z } from 'zod'
import type { Engine } from '../engine/engine.js'
import { CheckpointNotFound } from '../engine/errors.js'
import { CHECKPOINT_ID_PATTERN } from '../engine/ids.js'
import { problemsFromZod, ValidationFailed } from '../engine/problems.js'
import { problem } from '../plugins/web/problem.js'
import { readJson } from '../plugins/web/read-json.js'
import { rateLimit, type FixedWindowLimiter } from '../plugins/web/rate-limit.js'
import { isTerminal } from '../machine/types.js'
import type { FreeTextReader } from '../plugins/free-text-reader.js'
import { VerifierMisconfigured, VerifierUnavailable } from './verdict.js'

export interface ExtractRouteDeps {
  engine: Engine
  extractor: FreeTextReader
  bodyLimit: number
  limiter: FixedWindowLimiter
  /** Extractions per minute per agent token (HOLDPOINT_RATE_LIMIT_EXTRACT); 0 = no limit of its own. */
  perMinute: number
}

const extractBody = z.object({ text: z.string().trim().min(1).max(4000) }).strict()

/**
 * `POST /v1/checkpoints/:id/extract` `{ text }` → the typed answer a model reads from the
 * words, checked against responseSchema. It changes nothing: the caller shows the proposal
 * and, once the person confirms, submits it as an ordinary answer.
 *
 * Every call costs a model call, so it is mounted behind the agent API's gate (token check and
 * per-token budget) and has a smaller per-token budget of its own on top.
 */
export function extractRoute(deps: ExtractRouteDeps): Router {
  // Mounted behind the agent API's token check and per-token rate limit; it spends money, so
  // it has a budget of its own per token too.
  const router = new Router({ prefix: '/v1/checkpoints' })
  const limit = rateLimit(deps.limiter, { scope: 'extract', limit: deps.perMinute, windowSeconds: 60 }, (ctx) => String((ctx.state as { principal?: string }).principal))
  router.post('/:id/extract', limit, async (ctx) => {
    const id = String((ctx.params as Record<string, string | undefined>).id ?? '')
    if (!CHECKPOINT_ID_PATTERN.test(id)) throw new CheckpointNotFound(id)
    const parsed = extractBody.safeParse(await readJson(ctx, deps.bodyLimit))
    if (!parsed.success) throw new ValidationFailed(problemsFromZod(parsed.error))
    const cp = await deps.engine.get(id)
    if (!cp) throw new CheckpointNotFound(id)
    if (isTerminal(cp.state)) throw problem(409, 'terminal', 'Not applied', `The checkpoint is already ${cp.state}.`)
    try {
      const proposal = await deps.extractor.extract(cp, parsed.data.text)
      ctx.body = { checkpointId: id, ...proposal }
    } catch (error) {
      if (error instanceof VerifierMisconfigured) throw problem(409, 'extraction-unavailable', 'No model to read free text', error.message)
      if (error instanceof VerifierUnavailable) {
        ctx.set('retry-after', String(Math.ceil((error.retryAfterMs ?? 5_000) / 1000)))
        throw problem(503, 'model-unavailable', 'The model is unavailable', 'Reading free text failed for now; try again shortly.')
      }
      throw error
    }
  })
  return router
}
