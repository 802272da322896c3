import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { signSlackRequest } from '../../channels/slack/signature.js'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js'
import { FakeSlack } from '../slack/fake-slack.js'
import {
  approval,
  badEscapes,
  contentType,
  expectAlive,
  expectNo5xx,
  expectPrototypeClean,
  fingerprints,
  hostileBody,
  hostileJson,
  hostileString,
  pct,
  runs,
  send,
  UNLIMITED,
  type Fingerprint,
} from './support.js'

/**
 * The inbound channel endpoints under random and adversarial requests: `/slack/events`
 * (with and without a valid v0 signature), `/telegram/webhook` (with and without the secret
 * token) and `/m/:token` (GET and POST). Never a 5xx, the server stays up, and checkpoints
 * the requests name are not changed by them (they come from nobody who may answer).
 */

const SLACK_SECRET = 'hostile-slack-signing-secret'
const TG_SECRET = 'hostile-telegram-secret'

let hp: TestHoldpoint
let sink: SmtpSink
let tg: FakeTelegram
let slack: FakeSlack
const ids: string[] = []
let before: Fingerprint[] = []

beforeAll(async () => {
  sink = await startSmtpSink()
  tg = await startFakeTelegram()
  slack = await new FakeSlack([]).start()
  hp = await startHoldpoint({
    env: {
      ...UNLIMITED,
      SMTP_URL: sink.url,
      HOLDPOINT_EMAIL_FROM: 'Holdpoint <hp@example.test>',
      TELEGRAM_BOT_TOKEN: tg.token,
      TELEGRAM_WEBHOOK_SECRET: TG_SECRET,
      TELEGRAM_API_ROOT: tg.url,
      TELEGRAM_MODE: 'webhook',
      SLACK_BOT_TOKEN: 'xoxb-hostile',
      SLACK_SIGNING_SECRET: SLACK_SECRET,
      SLACK_API_URL: `${slack.url}/api/`,
    },
  })
  // Checkpoints the hostile requests aim at; only these people may answer them, and none of
  // the random requests comes from them with a valid action.
  for (let i = 0; i < 3; i++) {
    const res = await hp.api('POST', '/v1/checkpoints', { task: `t${i}`, responseSchema: approval, notify: ['dashboard'], assignTo: ['email:nobody@example.test'] })
    expect(res.status).toBe(201)
    ids.push(res.body.id as string)
  }
  await eventually(async () => (await Promise.all(ids.map((id) => hp.runtime.engine.get(id)))).every((c) => c?.state === 'delivered'))
  before = await fingerprints(hp, ids)
})

afterAll(async () => {
  // Interactions are handled in jobs: give them a moment, then nothing may have changed.
  await new Promise((r) => setTimeout(r, 500))
  const after = await fingerprints(hp, ids)
  await hp.close()
  await Promise.all([sink.close(), tg.close(), slack.close()])
  await deleteKeys(testRedisUrl(), hp.prefix)
  expect(after.map((f) => ({ ...f, auditLength: 0 }))).toEqual(before.map((f) => ({ ...f, auditLength: 0 })))
})

const aimedId = fc.oneof(fc.constantFrom(0, 1, 2).map((i) => ids[i]!), hostileString)

/** A Slack interaction payload shaped like the real thing with hostile values in it. */
const slackPayload = fc
  .record({
    type: fc.constantFrom('block_actions', 'view_submission', 'shortcut', 'message_action', 'block_suggestion', '__proto__'),
    user: fc.record({ id: fc.oneof(fc.constant('U0EVIL'), hostileString), name: hostileString }),
    actionId: fc.oneof(fc.constantFrom('hp.claim', 'hp.release', 'hp.open', 'hp.answer.0', 'hp.answer.99999999999', 'hp.confirm.x'), hostileString),
    value: aimedId,
    extra: hostileJson,
    privateMetadata: fc.oneof(hostileString, aimedId.map((id) => JSON.stringify({ c: id, ch: 'C1', ts: '1.2' }))),
  })
  .map((p) => ({
    type: p.type,
    team: { id: 'T1' },
    user: { ...p.user, team_id: 'T1' },
    api_app_id: 'A1',
    trigger_id: 't.1',
    container: { type: 'message', message_ts: '1.2', channel_id: 'C1' },
    channel: { id: 'C1' },
    message: { ts: '1.2', text: 'x' },
    actions: [{ type: 'button', action_id: p.actionId, block_id: 'hp.actions', value: p.value, action_ts: '1.3' }],
    view: { id: 'V1', hash: 'h', callback_id: 'hp.form', private_metadata: p.privateMetadata, state: { values: p.extra } },
    extra: p.extra,
  }))

const slackEvent = fc.record({
  type: fc.constantFrom('event_callback', 'url_verification', 'app_rate_limited', 'x'),
  challenge: hostileString,
  event: fc.record({ type: fc.constantFrom('message', 'app_mention', 'app_home_opened'), user: hostileString, text: hostileString, channel: hostileString, ts: hostileString, thread_ts: fc.constantFrom('1.2', '0', 'x') }),
  extra: hostileJson,
})

describe('/slack/events', () => {
  const post = (raw: string, type: string | null, signed: boolean, skewSeconds = 0) => {
    const ts = Math.floor(Date.now() / 1000) + skewSeconds
    return send(`${hp.url}/slack/events`, {
      method: 'POST',
      body: raw,
      contentType: type,
      headers: signed ? { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': signSlackRequest(SLACK_SECRET, ts, raw) } : { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': 'v0=deadbeef' },
    })
  }

  it('never 5xx on signed hostile interactions, events and raw bodies', async () => {
    const body = fc.oneof(
      slackPayload.map((p) => ({ raw: `payload=${encodeURIComponent(JSON.stringify(p))}`, type: 'application/x-www-form-urlencoded' })),
      slackEvent.map((e) => ({ raw: JSON.stringify(e), type: 'application/json' })),
      fc.tuple(hostileBody, contentType).map(([raw, type]) => ({ raw, type })),
      fc.tuple(hostileString, badEscapes).map(([s, bad]) => ({ raw: `payload=${pct(s)}${bad}`, type: 'application/x-www-form-urlencoded' })),
    )
    const statuses = new Set<number>()
    await fc.assert(
      fc.asyncProperty(body, async ({ raw, type }) => {
        const res = await post(raw, type, true)
        statuses.add(res.status)
        expectNo5xx(res, 'signed /slack/events')
        expectPrototypeClean()
      }),
      runs(100),
    )
    // the signature was right: some requests got past it to the handlers
    expect([...statuses].some((s) => s < 300), `statuses ${[...statuses].join(', ')}`).toBe(true)
    await expectAlive(hp)
  }, 60_000)

  it('refuses unsigned, wrongly signed and stale requests with 401 whatever the body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(slackPayload.map((p) => `payload=${encodeURIComponent(JSON.stringify(p))}`), hostileBody), fc.constantFrom(0, -400, 400), async (raw, skew) => {
        const res = await post(raw, 'application/x-www-form-urlencoded', skew !== 0, skew)
        expectNo5xx(res, 'unsigned /slack/events')
        expect(res.status).toBeGreaterThanOrEqual(400)
      }),
      runs(60),
    )
  }, 60_000)
})

describe('/telegram/webhook', () => {
  const update = fc.record({
    update_id: fc.oneof(fc.integer(), fc.constant(Number.MAX_SAFE_INTEGER), hostileString),
    callback_query: fc.record({
      id: hostileString,
      from: fc.record({ id: fc.oneof(fc.integer(), hostileString), first_name: hostileString, is_bot: fc.boolean() }),
      data: fc.oneof(hostileString, aimedId),
      message: fc.record({ message_id: fc.integer(), date: fc.constant(0), chat: fc.record({ id: fc.oneof(fc.integer(), hostileString), type: fc.constantFrom('private', 'group') }) }),
    }),
    message: fc.record({ message_id: fc.integer(), text: hostileString, chat: fc.record({ id: fc.integer() }), reply_to_message: fc.record({ message_id: fc.integer() }) }),
    extra: hostileJson,
  })

  it('never 5xx with the secret, and 401 without it, for hostile updates', async () => {
    const accepted: number[] = []
    await fc.assert(
      fc.asyncProperty(fc.oneof(update.map((u) => JSON.stringify(u)), hostileBody), contentType, fc.constantFrom(TG_SECRET, null, `${TG_SECRET}x`, ''), async (raw, type, secret) => {
        const res = await send(`${hp.url}/telegram/webhook`, { method: 'POST', body: raw, contentType: type, headers: secret === null ? {} : { 'x-telegram-bot-api-secret-token': secret } })
        if (res.status < 300) accepted.push(res.status)
        expectNo5xx(res, '/telegram/webhook')
        if (secret !== TG_SECRET) expect(res.status).toBeGreaterThanOrEqual(400)
        expectPrototypeClean()
      }),
      runs(100),
    )
    expect(accepted.length, 'no update got past the secret check').toBeGreaterThan(0)
    await expectAlive(hp)
  }, 60_000)
})

describe('/m/:token', () => {
  it('never 5xx and never 2xx-acts on random tokens, GET or POST', async () => {
    const token = fc.oneof(hostileString.map(pct), badEscapes, fc.base64String({ maxLength: 200 }).map((s) => s.replace(/[+/=]/g, '_')), fc.constant('a'.repeat(5000)))
    const form = fc.oneof(hostileBody, fc.dictionary(fc.oneof(fc.constantFrom('choice', 'answer', 'confirm', '__proto__', 'csrf'), hostileString), hostileString).map((d) => new URLSearchParams(d).toString()))
    await fc.assert(
      fc.asyncProperty(token, fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'), form, contentType, async (t, method, body, type) => {
        const res = await send(`${hp.url}/m/${t || 'x'}`, { method, ...(method !== 'GET' && method !== 'HEAD' && { body, contentType: type ?? 'application/x-www-form-urlencoded' }) })
        expectNo5xx(res, `${method} /m/`)
        expect(res.status === 200 && method === 'POST', `a random token acted (${res.status})`).toBe(false)
        expectPrototypeClean()
      }),
      runs(100),
    )
    await expectAlive(hp)
  }, 60_000)
})
