import type { Worker } from 'bullmq'
import type { Middleware } from 'koa'
import { z } from 'zod'
import type { VerifyJob } from '../plugins/job-data.js'
import { VERIFY_QUEUE } from '../plugins/queue-names.js'
import { definePlugin, type Plugin, type PluginParts } from '../plugins/plugin.js'
import { extractRateLimit, FixedWindowLimiter } from '../plugins/web/rate-limit.js'
import { extractRoute } from './extract-route.js'
import type { VerifierSet } from './verifier-set.js'
import { createVerifyWorker } from './verify-worker.js'

/**
 * Verification: `verify` on create (one feature flag per working provider, so a request
 * naming a provider without a key is refused at once), the `verify` queue's worker, and
 * `POST /v1/checkpoints/:id/extract` (behind the agent API's token check and rate limit) for
 * reading a typed answer from words. The process builds the one VerifierSet it shares with
 * every channel's free-text reading.
 */
export function verifyPlugin(verifiers: VerifierSet): Plugin {
  return definePlugin({
    name: 'verify',
    env: z.object(extractRateLimit),
    start(settings, ctx): PluginParts {
      const log = ctx.logger.child({ module: 'verify' })
      let worker: Worker<VerifyJob> | null = null
      ctx.announce(`verification: ${verifiers.names().join(', ')}`)
      return {
        // `verify:model:<name>`: the models a request may name (HOLDPOINT_VERIFY_MODELS and defaults).
        features: ['verify', ...verifiers.names().map((name) => `verify:${name}`), ...verifiers.modelNames().map((name) => `verify:model:${name}`)],
        ...(ctx.role.server && {
          agentRoutes: extractRoute({
            engine: ctx.engine,
            extractor: ctx.extractor,
            bodyLimit: 64 * 1024,
            limiter: new FixedWindowLimiter(ctx.keys.redis, ctx.keys.prefix),
            perMinute: settings.HOLDPOINT_RATE_LIMIT_EXTRACT,
          }).routes() as Middleware,
        }),
        async start() {
          if (!ctx.role.worker) return
          worker = createVerifyWorker({ engine: ctx.engine, verifiers, connection: ctx.queues.connection, prefix: ctx.queues.prefixOf(VERIFY_QUEUE), lockMs: ctx.jobLockMs, logger: log })
          await worker.waitUntilReady()
        },
        async close() {
          await worker?.close()
          worker = null
        },
      }
    },
  })
}
