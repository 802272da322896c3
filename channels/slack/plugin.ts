import type { Worker } from 'bullmq'
import { z } from 'zod'
import { toView } from '../../engine/checkpoint-view.js'
import { definePlugin, type PluginParts } from '../../plugins/plugin.js'
import { AckPath } from './ack-path.js'
import { createBoltApp } from './bolt-app.js'
import { slackDoctor } from './doctor.js'
import { SlackFreeText } from './free-text.js'
import { InteractionHandlers } from './interaction-handlers.js'
import { InteractionQueue, SLACK_INTERACTIONS_QUEUE, type InteractionJob } from './interaction-jobs.js'
import { createInteractionWorker } from './interaction-worker.js'
import { KoaReceiver } from './koa-receiver.js'
import { MessageRefs } from './message-refs.js'
import { ProposalStore } from '../common/proposals.js'
import { slackRoutes } from './routes.js'
import { createSlackClient } from './slack-api.js'
import { SlackChannel } from './slack-channel.js'
import { SlackKeys } from './slack-keys.js'
import { SlackPeople } from './slack-people.js'

const USER_ID = /^[UW][A-Z0-9]{2,30}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

const env = z
  .object({
    SLACK_BOT_TOKEN: z.string().trim().min(1).optional(),
    SLACK_SIGNING_SECRET: z.string().trim().min(1).optional(),
    SLACK_API_URL: z.url().default('https://slack.com/api/'),
  })
  .superRefine((e, ctx) => {
    if ((e.SLACK_BOT_TOKEN === undefined) !== (e.SLACK_SIGNING_SECRET === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['SLACK_SIGNING_SECRET'], message: 'SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET go together' })
    }
  })

/**
 * The Slack channel: delivery (broadcast and direct messages) in workers, `POST
 * /slack/events` in servers, and the `slack-interactions` worker that applies what people
 * did. Off unless both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set.
 */
export const slackPlugin = definePlugin({
  name: 'slack',
  env,
  queues: [SLACK_INTERACTIONS_QUEUE],
  channel: {
    recipients: {
      pattern: /^slack:(#[\w.-]{1,80}|@?[UW][A-Z0-9]{2,30}|[^@\s:]+@[^@\s]+)$/,
      forms: ['slack:#channel', 'slack:@U…', 'slack:U…', 'slack:person@example.com'],
      normalize: (r) => (r.includes('@') && !r.startsWith('slack:@') ? r.toLowerCase() : r),
    },
    handles: [
      {
        field: 'slackId',
        label: 'Slack user id',
        placeholder: 'U024BE7LH',
        pattern: USER_ID,
        message: 'a Slack user id (U… or W…)',
        identities: (id) => [`slack:${id}`, `slack:@${id}`],
        recipient: (id) => `slack:${id}`,
        lookup: true,
      },
      // `slack:ana@example.com` in assignTo names whoever has that email in the directory.
      { field: 'email', label: 'Email', placeholder: 'ana@example.com', pattern: EMAIL, message: 'an email address', identities: (email) => [`slack:${email}`] },
    ],
  },
  off: (s) => (s.SLACK_BOT_TOKEN && s.SLACK_SIGNING_SECRET ? null : 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it (docs/slack.md)'),
  doctor: (s) => slackDoctor(s.SLACK_API_URL, s.SLACK_BOT_TOKEN ?? ''),
  start(s, ctx): PluginParts {
    const token = s.SLACK_BOT_TOKEN ?? ''
    const log = ctx.logger.child({ module: 'slack' })
    const keys = new SlackKeys(ctx.keys.root('slack'))
    const redis = ctx.keys.redis
    const client = createSlackClient(token, s.SLACK_API_URL, log)
    const refs = new MessageRefs(redis, keys)
    const people = new SlackPeople(redis, keys, ctx.directory, client)
    const queue = new InteractionQueue(ctx.queues.get(SLACK_INTERACTIONS_QUEUE))
    const views = async (ids: string[]) => (await Promise.all(ids.map((id) => ctx.engine.get(id)))).flatMap((cp) => (cp ? [toView(cp, ctx.publicUrl)] : []))
    const parts: PluginParts = { channel: new SlackChannel({ client, refs, people, views }) }
    if (ctx.role.server) {
      const receiver = new KoaReceiver()
      const ack = new AckPath({ engine: ctx.engine, redis, keys, queue, people, refs, client, keyring: ctx.keyring, publicUrl: ctx.publicUrl, logger: log })
      createBoltApp({ token, apiUrl: s.SLACK_API_URL, receiver, ack, logger: log })
      parts.routes = slackRoutes({ signingSecret: s.SLACK_SIGNING_SECRET ?? '', receiver, bodyLimit: ctx.bodyLimit, logger: log })
    }
    let worker: Worker<InteractionJob> | null = null
    if (ctx.role.worker) {
      // Thread replies in words are read by the verification models when one is configured.
      const freeText = new SlackFreeText({ engine: ctx.engine, extractor: ctx.extractor, proposals: new ProposalStore(ctx.keys), client, refs, publicUrl: ctx.publicUrl })
      const handlers = new InteractionHandlers({ engine: ctx.engine, people, client, refs, queue, publicUrl: ctx.publicUrl, freeText })
      parts.start = () => {
        worker = createInteractionWorker(handlers, { connection: ctx.queues.connection, prefix: ctx.queues.prefixOf(SLACK_INTERACTIONS_QUEUE), lockMs: ctx.jobLockMs, logger: log })
        return Promise.resolve()
      }
      parts.close = async () => {
        await worker?.close()
        worker = null
      }
    }
    ctx.announce('slack channel on: Slack posts to /slack/events')
    return parts
  },
})
