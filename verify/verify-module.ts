import type { Worker } from 'bullmq'
import type { Middleware } from 'koa'
import { FixedWindowLimiter } from '../http/rate-limit.js'
import type { HoldpointModule, ModuleFactory } from '../ops/module.js'
import type { VerifyJob } from '../queues/job-data.js'
import { extractRoute } from './extract-route.js'
import { FreeTextExtractor } from './extractor.js'
import { VerifierSet } from './verifier-set.js'
import { createVerifyWorker } from './verify-worker.js'

/**
 * Verification: `verify` on create (one feature flag per working provider, so a request
 * naming a provider without a key is refused at once), the `verify` queue's worker, and
 * `POST /v1/checkpoints/:id/extract` for reading a typed answer from words.
 */
export const verifyModule: ModuleFactory = (ctx) => {
  const verifiers = new VerifierSet({ env: ctx.config.env, webhookSecret: ctx.config.webhookSecret, allowPrivateWebhooks: ctx.config.allowPrivateWebhooks, ...(ctx.verifiers && { functions: ctx.verifiers }) })
  const extractor = new FreeTextExtractor(verifiers)
  const log = ctx.logger.child({ module: 'verify' })
  let worker: Worker<VerifyJob> | null = null
  const mod: HoldpointModule = {
    name: 'verify',
    // `verify:model:<name>`: the models a request may name (HOLDPOINT_VERIFY_MODELS and defaults).
    features: ['verify', ...verifiers.names().map((name) => `verify:${name}`), ...verifiers.modelNames().map((name) => `verify:model:${name}`)],
    async start() {
      if (!ctx.role.worker) return
      worker = createVerifyWorker({ engine: ctx.engine, verifiers, connection: ctx.queues.connection, prefix: ctx.config.keyPrefix, lockMs: ctx.config.jobLockMs, logger: log })
      await worker.waitUntilReady()
    },
    async close() {
      await worker?.close()
      worker = null
    },
  }
  if (ctx.role.server) {
    const router = extractRoute({
      engine: ctx.engine,
      extractor,
      apiTokens: ctx.config.apiTokens,
      bodyLimit: ctx.config.bodyLimit,
      limiter: new FixedWindowLimiter(ctx.redis, ctx.config.keyPrefix),
      perMinute: ctx.config.env.HOLDPOINT_RATE_LIMIT_EXTRACT,
    })
    // Inside the /v1 gate: authenticated and under the token's request budget.
    mod.agentRoutes = router.routes() as Middleware
  }
  ctx.announce(`verification: ${verifiers.names().join(', ')}`)
  return mod
}
