import type { ModuleFactory } from '../ops/module.js'
import { inngestTarget } from './inngest-target.js'
import { langgraphTarget } from './langgraph-target.js'
import { queueTarget } from './queue-target.js'
import type { ResumeTarget } from './resume-target.js'
import { temporalTarget } from './temporal-target.js'

/**
 * The workflow-engine resume targets. `queue` (Holdpoint's own Redis), `langgraph` and
 * `temporal` (their addresses travel in each request) are always on; `inngest` is on once
 * INNGEST_EVENT_KEY or INNGEST_BASE_URL says where to send. A request naming a target that
 * is off gets a 422 at create time, never a silent drop.
 */
export const resumeTargetsModule: ModuleFactory = (ctx) => {
  const { env } = ctx.config
  const queue = queueTarget(ctx.queues.connection, ctx.config.keyPrefix)
  // Their addresses come from the agent: the same send-time SSRF check as resume webhooks.
  const guard = { allowPrivate: ctx.config.allowPrivateWebhooks }
  const temporal = temporalTarget(guard)
  const targets: ResumeTarget[] = [queue, langgraphTarget(undefined, guard), temporal]
  if (env.INNGEST_EVENT_KEY !== undefined || env.INNGEST_BASE_URL !== undefined) {
    targets.push(inngestTarget({ eventKey: env.INNGEST_EVENT_KEY, baseUrl: env.INNGEST_BASE_URL }))
  } else {
    ctx.logger.info('inngest resume target off: set INNGEST_EVENT_KEY or INNGEST_BASE_URL to enable it')
  }
  return {
    name: 'resume-targets',
    resumeTargets: targets,
    close: async () => {
      await Promise.all([queue.close(), temporal.close()])
    },
  }
}
