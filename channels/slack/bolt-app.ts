import { App, type BlockAction, type ButtonAction, type ViewSubmitAction } from '@slack/bolt'
import type { Logger } from 'pino'
import { ACTION_PATTERN, FORM_CALLBACK_ID, parseActionId } from './action-ids.js'
import type { AckPath, ButtonClick } from './ack-path.js'
import { boltLogger } from './bolt-logger.js'
import type { KoaReceiver } from './koa-receiver.js'

export interface BoltAppOptions {
  token: string
  apiUrl: string
  receiver: KoaReceiver
  ack: AckPath
  logger: Logger
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

function clickOf(body: BlockAction<ButtonAction>, action: ButtonAction): ButtonClick {
  const channel = body.channel?.id ?? (typeof body.container.channel_id === 'string' ? body.container.channel_id : null)
  const name = body.user.name ?? body.user.username
  return {
    user: { id: body.user.id, ...(name && { name }) },
    actionId: action.action_id,
    actionTs: action.action_ts,
    checkpointId: action.value ?? '',
    channel,
    // A button on a thread reply acts for the thread's parent message.
    messageTs: str(body.message?.thread_ts) ?? str(body.container.message_ts) ?? null,
    triggerId: body.trigger_id,
  }
}

/**
 * Bolt routes Slack's payloads to listeners; the listeners only adapt them to the ack path.
 * The receiver is ours (Koa, after our signature check), and authorization is the one bot
 * token, so Bolt never calls auth.test on the request path.
 */
export function createBoltApp(opts: BoltAppOptions): App {
  const log = opts.logger.child({ component: 'slack-bolt' })
  const app = new App({
    receiver: opts.receiver,
    authorize: () => Promise.resolve({ botToken: opts.token }),
    // We filter bot messages ourselves; Bolt's ignoreSelf would need auth.test on every event.
    ignoreSelf: false,
    logger: boltLogger(log),
    clientOptions: {
      slackApiUrl: opts.apiUrl.endsWith('/') ? opts.apiUrl : `${opts.apiUrl}/`,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
    },
  })

  app.action<BlockAction<ButtonAction>>(ACTION_PATTERN, async ({ ack, body, action }) => {
    const click = clickOf(body, action)
    if (parseActionId(click.actionId)?.kind === 'open') {
      // Acknowledge first: views.open only needs the trigger_id, and Slack is waiting.
      await ack()
      await opts.ack.openForm(click)
      return
    }
    await opts.ack.button(click)
    await ack()
  })
  // The dashboard link button opens a URL; Slack still reports the click.
  app.action('hp.link', async ({ ack }) => {
    await ack()
  })

  app.view<ViewSubmitAction>(FORM_CALLBACK_ID, async ({ ack, body, view }) => {
    const response = await opts.ack.submitForm({
      user: { id: body.user.id, ...(body.user.name && { name: body.user.name }) },
      viewId: view.id,
      viewHash: view.hash,
      privateMetadata: view.private_metadata,
      values: view.state.values,
    })
    await ack(response)
  })

  app.event('message', async ({ event, body }) => {
    const msg = event as unknown as Record<string, unknown>
    await opts.ack.threadMessage({
      eventId: str((body as { event_id?: unknown }).event_id) ?? null,
      channel: str(msg.channel) ?? '',
      ts: str(msg.ts) ?? '',
      threadTs: str(msg.thread_ts),
      user: str(msg.user),
      text: str(msg.text),
      ignored: msg.subtype !== undefined || msg.bot_id !== undefined,
    })
  })

  app.error((error) => {
    log.error({ err: error.message, code: error.code }, 'slack listener failed')
    return Promise.reject(error)
  })
  return app
}
