import { z } from 'zod'
import { definePlugin } from '../plugins/plugin.js'
import type { ResumeTarget } from '../plugins/resume-target.js'
import { inngestTarget } from './inngest-target.js'
import { langgraphTarget } from './langgraph-target.js'
import { queueTarget } from './queue-target.js'
import { temporalTarget } from './temporal-target.js'

/**
 * The workflow-engine resume targets. `queue` (Holdpoint's own Redis), `langgraph` and
 * `temporal` (their addresses travel in each request) are always on; `inngest` is on once
 * INNGEST_EVENT_KEY or INNGEST_BASE_URL says where to send. A request naming a target that
 * is off gets a 422 at create time, never a silent drop.
 */
export const resumeTargetsPlugin = definePlugin({
  name: 'resume-targets',
  env: z.object({
    INNGEST_EVENT_KEY: z.string().trim().min(1).optional(),
    INNGEST_BASE_URL: z.url().optional(),
  }),
  start(s, ctx) {
    const queue = queueTarget(ctx.queues.connection, ctx.keys.prefix, ctx.queues.names())
    // Their addresses come from the agent: the same send-time SSRF check as resume webhooks.
    const guard = { allowPrivate: ctx.allowPrivateAddresses }
    const temporal = temporalTarget(guard)
    const targets: ResumeTarget[] = [queue, langgraphTarget(undefined, guard), temporal]
    if (s.INNGEST_EVENT_KEY !== undefined || s.INNGEST_BASE_URL !== undefined) {
      targets.push(inngestTarget({ eventKey: s.INNGEST_EVENT_KEY, baseUrl: s.INNGEST_BASE_URL }))
    } else {
      ctx.logger.info('inngest resume target off: set INNGEST_EVENT_KEY or INNGEST_BASE_URL to enable it')
    }
    return {
      resumeTargets: targets,
      close: async () => {
        await Promise.all([queue.close(), temporal.close()])
      },
    }
  },
})
