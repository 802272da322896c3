import type { Worker } from 'bullmq'
import type { HoldpointModule, ModuleFactory } from '../../ops/module.js'
import { AckPath } from './ack-path.js'
import { createBoltApp } from './bolt-app.js'
import { InteractionHandlers } from './interaction-handlers.js'
import { InteractionQueue, SLACK_INTERACTIONS_QUEUE, type InteractionJob } from './interaction-jobs.js'
import { createInteractionWorker } from './interaction-worker.js'
import { KoaReceiver } from './koa-receiver.js'
import { MessageRefs } from './message-refs.js'
import { slackRoutes } from './routes.js'
import { createSlackClient } from './slack-api.js'
import { SlackChannel } from './slack-channel.js'
import { SlackKeys } from './slack-keys.js'
import { SlackPeople } from './slack-people.js'
import { FreeTextExtractor } from '../../verify/extractor.js'
import { ProposalStore } from '../../verify/proposals.js'
import { VerifierSet } from '../../verify/verifier-set.js'
import { SlackFreeText } from './free-text.js'

/**
 * The Slack channel: delivery (broadcast and direct messages) in workers, `POST
 * /slack/events` in servers, and the `slack-interactions` worker that applies what people
 * did. Off, with one log line, unless both SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are set.
 */
export const slackModule: ModuleFactory = (ctx) => {
  const { SLACK_BOT_TOKEN: token, SLACK_SIGNING_SECRET: signingSecret, SLACK_API_URL: apiUrl } = ctx.config.env
  if (!token || !signingSecret) {
    ctx.logger.info('slack channel off: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET to enable it')
    return null
  }
  const log = ctx.logger.child({ module: 'slack' })
  const keys = new SlackKeys(ctx.config.keyPrefix)
  const client = createSlackClient(token, apiUrl, log)
  const refs = new MessageRefs(ctx.redis, keys)
  const people = new SlackPeople(ctx.redis, keys, ctx.directory, client)
  const queue = new InteractionQueue(ctx.queues.get(SLACK_INTERACTIONS_QUEUE))
  const channel = new SlackChannel({ client, refs, people })

  const mod: HoldpointModule = { name: 'slack', channel }
  if (ctx.role.server) {
    const receiver = new KoaReceiver()
    const ack = new AckPath({ engine: ctx.engine, redis: ctx.redis, keys, queue, people, refs, client, keyring: ctx.keyring, publicUrl: ctx.config.publicUrl, logger: log })
    createBoltApp({ token, apiUrl, receiver, ack, logger: log })
    mod.routes = slackRoutes({ signingSecret, receiver, bodyLimit: ctx.config.bodyLimit, logger: log })
  }
  let worker: Worker<InteractionJob> | null = null
  if (ctx.role.worker) {
    // Thread replies in words are read by the verification models when one is configured.
    const extractor = new FreeTextExtractor(new VerifierSet({ env: ctx.config.env, webhookSecret: ctx.config.webhookSecret }))
    const freeText = new SlackFreeText({ engine: ctx.engine, extractor, proposals: new ProposalStore(ctx.redis, ctx.config.keyPrefix), client, refs, publicUrl: ctx.config.publicUrl })
    const handlers = new InteractionHandlers({ engine: ctx.engine, people, client, refs, queue, publicUrl: ctx.config.publicUrl, freeText })
    mod.start = () => {
      worker = createInteractionWorker(handlers, { connection: ctx.queues.connection, prefix: ctx.config.keyPrefix, lockMs: ctx.config.jobLockMs, logger: log })
      return Promise.resolve()
    }
    mod.close = async () => {
      await worker?.close()
      worker = null
    }
  }
  ctx.announce('slack channel on: Slack posts to /slack/events')
  return mod
}
