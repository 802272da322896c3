import { signSlackRequest } from '../../channels/slack/signature.js'

/** Builds and posts signed Slack requests (interactivity payloads, Events API callbacks). */
export interface SlackPoster {
  url: string
  secret: string
}

export interface PostOptions {
  /** Seconds since the epoch to sign with; defaults to now. */
  timestamp?: number
  secret?: string
  headers?: Record<string, string>
}

export async function postInteraction(to: SlackPoster, payload: object, opts: PostOptions = {}): Promise<{ status: number; body: any }> {
  const raw = `payload=${encodeURIComponent(JSON.stringify(payload))}`
  return post(to, raw, 'application/x-www-form-urlencoded', opts)
}

export async function postEvent(to: SlackPoster, body: object, opts: PostOptions = {}): Promise<{ status: number; body: any }> {
  return post(to, JSON.stringify(body), 'application/json', opts)
}

async function post(to: SlackPoster, raw: string, contentType: string, opts: PostOptions): Promise<{ status: number; body: any }> {
  const ts = opts.timestamp ?? Math.floor(Date.now() / 1000)
  const res = await fetch(`${to.url}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': contentType,
      'x-slack-request-timestamp': String(ts),
      'x-slack-signature': signSlackRequest(opts.secret ?? to.secret, ts, raw),
      ...opts.headers,
    },
    body: raw,
  })
  const text = await res.text()
  let body: any = text
  try {
    body = text ? JSON.parse(text) : null
  } catch {
    // plain text body
  }
  return { status: res.status, body }
}

let counter = 0
const stamp = () => `${Math.floor(Date.now() / 1000)}.${String(++counter).padStart(6, '0')}`

export interface MessageAt {
  channel: string
  ts: string
}

/** A button click on a Holdpoint message, as Slack posts it. */
export function buttonClick(opts: { checkpointId: string; actionId: string; user: { id: string; name?: string }; message: MessageAt; actionTs?: string; threadTs?: string }) {
  return {
    type: 'block_actions',
    team: { id: 'T1', domain: 'acme' },
    user: { id: opts.user.id, username: opts.user.name ?? opts.user.id.toLowerCase(), name: opts.user.name ?? opts.user.id.toLowerCase(), team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: opts.message.ts, channel_id: opts.message.channel, is_ephemeral: false },
    trigger_id: `trigger.${stamp()}`,
    channel: { id: opts.message.channel, name: 'approvals' },
    message: { type: 'message', ts: opts.message.ts, text: 'Holdpoint', ...(opts.threadTs && { thread_ts: opts.threadTs }) },
    response_url: 'https://hooks.slack.invalid/actions/T1/1/x',
    actions: [{ type: 'button', action_id: opts.actionId, block_id: 'hp.actions', value: opts.checkpointId, action_ts: opts.actionTs ?? stamp(), text: { type: 'plain_text', text: 'x' } }],
  }
}

/** A modal submission. */
export function viewSubmission(opts: { view: { id: string; hash: string; private_metadata: string }; user: { id: string; name?: string }; values: Record<string, Record<string, unknown>> }) {
  return {
    type: 'view_submission',
    team: { id: 'T1', domain: 'acme' },
    user: { id: opts.user.id, username: opts.user.name ?? 'u', name: opts.user.name ?? 'u', team_id: 'T1' },
    api_app_id: 'A1',
    token: 'legacy-verification-token',
    trigger_id: `trigger.${stamp()}`,
    view: {
      id: opts.view.id,
      hash: opts.view.hash,
      team_id: 'T1',
      type: 'modal',
      callback_id: 'hp.form',
      private_metadata: opts.view.private_metadata,
      blocks: [],
      state: { values: opts.values },
      title: { type: 'plain_text', text: 'Holdpoint' },
      app_id: 'A1',
      bot_id: 'BBOT',
      root_view_id: opts.view.id,
      previous_view_id: null,
      external_id: '',
      close: null,
      submit: null,
      clear_on_close: false,
      notify_on_close: false,
    },
    response_urls: [],
  }
}

/** A message event (a thread reply) from the Events API. */
export function threadReply(opts: { channel: string; threadTs: string; user: string; text: string; eventId?: string; botId?: string }) {
  const ts = stamp()
  return {
    type: 'event_callback',
    token: 'legacy-verification-token',
    team_id: 'T1',
    api_app_id: 'A1',
    event_id: opts.eventId ?? `Ev${ts.replace('.', '')}`,
    event_time: Math.floor(Date.now() / 1000),
    event: {
      type: 'message',
      channel: opts.channel,
      channel_type: 'channel',
      user: opts.user,
      text: opts.text,
      ts,
      thread_ts: opts.threadTs,
      ...(opts.botId && { bot_id: opts.botId, subtype: 'bot_message' }),
    },
    authorizations: [{ team_id: 'T1', user_id: 'UBOT', is_bot: true }],
  }
}
