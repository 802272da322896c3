import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { FakeSlack, type SlackCall } from './fake-slack.js'
import { buttonClick, postEvent, postInteraction, threadReply, viewSubmission, type MessageAt, type SlackPoster } from './slack-requests.js'

const ANA = { id: 'UANA0001', name: 'ana' }
const BOB = { id: 'UBOB0001', name: 'bob' }
const CARA = { id: 'UCARA001', name: 'cara' }
/** Only ever reached by email, so nothing has cached his Slack id before that test. */
const DAN = { id: 'UDAN0001', name: 'dan' }

let fake: FakeSlack
let hp: TestHoldpoint
let slack: SlackPoster

beforeAll(async () => {
  fake = await new FakeSlack([
    { ...ANA, email: 'ana@example.com' },
    { ...BOB, email: 'bob@example.com' },
    { ...CARA, email: 'cara@example.com' },
    { ...DAN, email: 'dan@example.com' },
  ]).start()
  const secret = randomBytes(16).toString('hex')
  hp = await startHoldpoint({ env: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: `${fake.url}/api/` } })
  slack = { url: hp.url, secret }
})
afterAll(async () => {
  await hp.close()
  await fake.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const refund = (extra: Record<string, unknown> = {}) => ({
  task: 'Approve a $250 refund for cus_42?',
  payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge' },
  responseSchema: approvalSchema,
  ...extra,
})

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', body)
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

const get = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const audit = async (id: string): Promise<any[]> => {
  const body = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body
  return Array.isArray(body) ? body : body.entries ?? body.items
}

/** The message Holdpoint posted for a checkpoint (first top-level post mentioning it). */
async function postedMessage(id: string): Promise<MessageAt & { call: SlackCall }> {
  const call = await eventually(async () => fake.about('chat.postMessage', id).find((c) => !c.args.thread_ts && c.result?.ok))
  return { channel: call.result!.channel, ts: call.result!.ts, call }
}

const actionIds = (blocks: any[]): string[] => blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e: any) => e.action_id) : []))
const textOf = (blocks: any[]): string => JSON.stringify(blocks)

describe('broadcast to a channel', () => {
  it('posts the request, lets the first person claim it, shows the claim to everyone, and takes a one-click approval', async () => {
    const id = await create(refund({ notify: ['slack:#approvals'], timeoutSeconds: 900 }))
    const msg = await postedMessage(id)
    expect(msg.call.args.channel).toBe('#approvals')
    const blocks = msg.call.args.blocks
    expect(textOf(blocks)).toContain('Approve a $250 refund for cus_42?')
    expect(textOf(blocks)).toContain('*Amount usd:* 250')
    expect(textOf(blocks)).toMatch(/left \(until <!date\^\d+\^/)
    expect(actionIds(blocks)).toEqual(['hp.claim', 'hp.answer.0', 'hp.answer.1', 'hp.open'])
    await eventually(async () => (await get(id)).state === 'delivered')

    const claim = await postInteraction(slack, buttonClick({ checkpointId: id, actionId: 'hp.claim', user: ANA, message: msg }))
    expect(claim.status).toBe(200)
    const claimed = await eventually(async () => {
      const cp = await get(id)
      return cp.state === 'claimed' && cp
    })
    expect(claimed.claimedBy).toMatchObject({ channel: 'slack', actor: ANA.id })
    const claimUpdate = await eventually(async () => fake.about('chat.update', msg.ts).find((c) => textOf(c.args.blocks).includes(`Claimed by <@${ANA.id}>`)))
    expect(claimUpdate.args.channel).toBe(msg.channel)
    expect(actionIds(claimUpdate.args.blocks)).toEqual(['hp.answer.0', 'hp.answer.1', 'hp.open', 'hp.release'])

    // Someone else cannot answer over Ana's claim: told privately, audited, nothing changes.
    await postInteraction(slack, buttonClick({ checkpointId: id, actionId: 'hp.answer.1', user: BOB, message: msg }))
    const told = await eventually(async () => fake.about('chat.postEphemeral', BOB.id).find((c) => c.args.text.includes('claimed by ana')))
    expect(told.args.channel).toBe(msg.channel)
    expect((await get(id)).state).toBe('claimed')

    const approve = await postInteraction(slack, buttonClick({ checkpointId: id, actionId: 'hp.answer.0', user: ANA, message: msg }))
    expect(approve.status).toBe(200)
    const resolved = await eventually(async () => {
      const cp = await get(id)
      return cp.state === 'resolved' && cp
    })
    expect(resolved.response).toEqual({ approved: true })
    expect(resolved.respondedBy).toMatchObject({ channel: 'slack', actor: ANA.id, name: 'ana' })

    // The message is brought up to date for everyone: outcome and who decided, no buttons.
    const final = await eventually(async () => fake.about('chat.update', msg.ts).find((c) => textOf(c.args.blocks).includes('Answered by')))
    expect(textOf(final.args.blocks)).toContain(`Answered by <@${ANA.id}>:* approved: yes`)
    expect(actionIds(final.args.blocks)).toEqual([])
    const kinds = (await audit(id)).map((e) => `${e.kind}${e.data?.reason ? `:${e.data.reason}` : ''}`)
    expect(kinds).toEqual(['created', 'delivered', 'claimed', 'refused:claimed_by_other', 'answered'])
  })

  it('refuses a clicker who is not assigned: ephemeral message, audit entry, checkpoint unchanged', async () => {
    const id = await create(refund({ notify: ['slack:#approvals'], assignTo: [`slack:${ANA.id}`] }))
    const msg = await postedMessage(id)
    await eventually(async () => (await get(id)).state === 'delivered')
    for (const actionId of ['hp.answer.0', 'hp.claim', 'hp.open']) {
      const res = await postInteraction(slack, buttonClick({ checkpointId: id, actionId, user: CARA, message: msg }))
      expect(res.status).toBe(200)
    }
    const refusals = await eventually(async () => {
      const entries = (await audit(id)).filter((e) => e.kind === 'refused')
      return entries.length === 3 && entries
    })
    expect(refusals.map((e) => [e.actor.actor, e.data.reason, e.data.attempted])).toEqual(
      expect.arrayContaining([
        [CARA.id, 'not_assigned', 'answered'],
        [CARA.id, 'not_assigned', 'claimed'],
        [CARA.id, 'not_assigned', 'open_form'],
      ]),
    )
    const told = await eventually(async () => {
      const calls = fake.about('chat.postEphemeral', CARA.id).filter((c) => c.args.channel === msg.channel)
      return calls.length === 3 && calls
    })
    expect(told.every((c) => c.args.text.includes('not among the people'))).toBe(true)
    expect(fake.about('views.open', id)).toEqual([])
    const cp = await get(id)
    expect(cp.state).toBe('delivered')
    expect(cp.claimedBy).toBeNull()
  })

  it('applies a Slack retry of the same click once', async () => {
    const id = await create(refund({ notify: ['slack:#approvals'] }))
    const msg = await postedMessage(id)
    await eventually(async () => (await get(id)).state === 'delivered')
    const click = buttonClick({ checkpointId: id, actionId: 'hp.claim', user: ANA, message: msg })
    expect((await postInteraction(slack, click)).status).toBe(200)
    expect((await postInteraction(slack, click, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200)
    expect((await postInteraction(slack, click, { headers: { 'x-slack-retry-num': '2', 'x-slack-retry-reason': 'http_timeout' } })).status).toBe(200)
    await eventually(async () => (await get(id)).state === 'claimed')
    const queue = hp.runtime.queues.get('slack-interactions')
    await eventually(async () => (await queue.getJobCounts('waiting', 'active', 'delayed')).waiting === 0)
    const kinds = (await audit(id)).map((e) => e.kind)
    expect(kinds.filter((k) => k === 'claimed')).toHaveLength(1)
    // A second application would have been refused (already claimed) and audited.
    expect(kinds.filter((k) => k === 'refused')).toHaveLength(0)
    expect(fake.about('chat.postEphemeral', ANA.id).filter((c) => c.args.channel === msg.channel && c.at > 0 && JSON.stringify(c.args).includes('claimed'))).toEqual([])
  })
})

describe('requests into /slack/events', () => {
  it('answers 401 to forged and stale signatures, and changes nothing', async () => {
    const id = await create(refund({ notify: ['slack:#approvals'] }))
    const msg = await postedMessage(id)
    await eventually(async () => (await get(id)).state === 'delivered')
    const before = (await audit(id)).length
    const click = buttonClick({ checkpointId: id, actionId: 'hp.answer.0', user: ANA, message: msg })
    const now = Math.floor(Date.now() / 1000)
    expect((await postInteraction(slack, click, { secret: 'not-the-signing-secret' })).status).toBe(401)
    expect((await postInteraction(slack, click, { timestamp: now - 6 * 60 })).status).toBe(401)
    expect((await postInteraction(slack, click, { timestamp: now + 6 * 60 })).status).toBe(401)
    const unsigned = await fetch(`${hp.url}/slack/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(unsigned.status).toBe(401)
    // Tampering after signing: the signature no longer covers the body.
    const raw = `payload=${encodeURIComponent(JSON.stringify(click))}`
    const { signSlackRequest } = await import('../../channels/slack/signature.js')
    const signature = signSlackRequest(slack.secret, now, raw)
    const tampered = await fetch(`${hp.url}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-slack-request-timestamp': String(now), 'x-slack-signature': signature },
      body: raw.replace(ANA.id, CARA.id),
    })
    expect(tampered.status).toBe(401)
    await new Promise((r) => setTimeout(r, 300))
    const queue = hp.runtime.queues.get('slack-interactions')
    const jobs = await queue.getJobs(['waiting', 'active', 'completed', 'delayed', 'failed'])
    expect(jobs.filter((j) => j.data.checkpointId === id)).toEqual([])
    expect((await get(id)).state).toBe('delivered')
    expect((await audit(id)).length).toBe(before)
  })

  it('answers the Events API url_verification challenge', async () => {
    const res = await postEvent(slack, { type: 'url_verification', token: 't', challenge: 'abc123' })
    expect(res).toEqual({ status: 200, body: { challenge: 'abc123' } })
  })
})

describe('direct messages and forms', () => {
  it('resolves an email recipient through users.lookupByEmail, DMs them, and maps their clicks by email', async () => {
    const id = await create(refund({ notify: ['slack:Dan@Example.com'] }))
    const msg = await postedMessage(id)
    expect(fake.callsTo('users.lookupByEmail').map((c) => c.args.email)).toEqual(['dan@example.com'])
    expect(fake.callsTo('conversations.open').map((c) => c.args.users)).toContain(DAN.id)
    expect(msg.channel).toBe(`D${DAN.id}`)
    // A direct message assigns directly: no Claim button.
    expect(actionIds(msg.call.args.blocks)).toEqual(['hp.answer.0', 'hp.answer.1', 'hp.open'])
    await eventually(async () => (await get(id)).state === 'delivered')
    await postInteraction(slack, buttonClick({ checkpointId: id, actionId: 'hp.answer.1', user: DAN, message: msg }))
    const resolved = await eventually(async () => {
      const cp = await get(id)
      return cp.state === 'resolved' && cp
    })
    expect(resolved.response).toEqual({ approved: false })
    expect(resolved.respondedBy).toMatchObject({ channel: 'slack', actor: DAN.id })
  })

  it('opens a modal built from the schema, returns validation errors inside it, then takes a valid answer', async () => {
    const responseSchema = {
      type: 'object',
      properties: {
        amount: { type: 'number', title: 'Amount to refund', minimum: 0, maximum: 40 },
        reason: { type: 'string', maxLength: 100 },
        details: { type: 'string', description: 'Anything the agent should know' },
        priority: { enum: ['low', 'normal', 'high'] },
        channel: { type: 'string', enum: ['a', 'b', 'c', 'd', 'e', 'f'] },
        notifyCustomer: { type: 'boolean' },
        tags: { type: 'array', items: { enum: ['fraud', 'vip'] } },
        followUp: { type: 'string', format: 'date' },
        contact: { type: 'string', format: 'email' },
        ticket: { type: 'string', format: 'uri' },
      },
      required: ['amount', 'reason'],
      additionalProperties: false,
    }
    const id = await create({ task: 'How much should we refund?', payload: { customerId: 'cus_9' }, responseSchema, notify: [`slack:@${ANA.id}`] })
    const msg = await postedMessage(id)
    expect(actionIds(msg.call.args.blocks)).toEqual(['hp.open'])
    await eventually(async () => (await get(id)).state === 'delivered')
    const click = buttonClick({ checkpointId: id, actionId: 'hp.open', user: ANA, message: msg })
    expect((await postInteraction(slack, click)).status).toBe(200)
    const opened = await eventually(async () => fake.callsTo('views.open').find((c) => c.args.trigger_id === click.trigger_id))
    const view = opened.args.view
    expect(view.callback_id).toBe('hp.form')
    const inputs = view.blocks.filter((b: any) => b.type === 'input')
    expect(inputs.map((b: any) => [b.label.text, b.element.type, b.optional])).toEqual([
      ['Amount to refund', 'number_input', false],
      ['Reason', 'plain_text_input', false],
      ['Details', 'plain_text_input', true],
      ['Priority', 'radio_buttons', true],
      ['Channel', 'static_select', true],
      ['Notify customer', 'radio_buttons', true],
      ['Tags', 'checkboxes', true],
      ['Follow up', 'datepicker', true],
      ['Contact', 'email_text_input', true],
      ['Ticket', 'url_text_input', true],
    ])
    expect(inputs[0].element).toMatchObject({ min_value: '0', max_value: '40', is_decimal_allowed: true })
    expect(inputs[1].element.multiline).toBe(false)
    expect(inputs[2].element.multiline).toBe(true)
    expect(inputs[2].hint.text).toBe('Anything the agent should know')

    const values = (amount: string) => ({
      f0: { v: { type: 'number_input', value: amount } },
      f1: { v: { type: 'plain_text_input', value: 'duplicate charge' } },
      f2: { v: { type: 'plain_text_input', value: null } },
      f3: { v: { type: 'radio_buttons', selected_option: { value: '2' } } },
      f4: { v: { type: 'static_select', selected_option: null } },
      f5: { v: { type: 'radio_buttons', selected_option: { value: '0' } } },
      f6: { v: { type: 'checkboxes', selected_options: [{ value: '1' }] } },
      f7: { v: { type: 'datepicker', selected_date: '2026-12-01' } },
      f8: { v: { type: 'email_text_input', value: 'cus@example.com' } },
      f9: { v: { type: 'url_text_input', value: 'https://tickets.example.com/9' } },
    })
    const submittedView = { id: 'V_FORM_1', hash: 'h1', private_metadata: view.private_metadata }
    const invalid = await postInteraction(slack, viewSubmission({ view: submittedView, user: ANA, values: values('55') }))
    expect(invalid.status).toBe(200)
    expect(invalid.body).toEqual({ response_action: 'errors', errors: { f0: 'must be <= 40' } })
    const refused = await eventually(async () => (await audit(id)).find((e) => e.kind === 'refused'))
    expect(refused.data).toMatchObject({ reason: 'invalid_response', problems: [{ path: '/response/amount', message: 'must be <= 40' }] })
    expect((await get(id)).state).toBe('delivered')

    const valid = await postInteraction(slack, viewSubmission({ view: { ...submittedView, hash: 'h2' }, user: ANA, values: values('30') }))
    expect(valid.status).toBe(200)
    expect(valid.body).toBeNull()
    const resolved = await eventually(async () => {
      const cp = await get(id)
      return cp.state === 'resolved' && cp
    })
    expect(resolved.response).toEqual({
      amount: 30,
      reason: 'duplicate charge',
      priority: 'high',
      notifyCustomer: true,
      tags: ['vip'],
      followUp: '2026-12-01',
      contact: 'cus@example.com',
      ticket: 'https://tickets.example.com/9',
    })
    expect(resolved.respondedBy).toMatchObject({ channel: 'slack', actor: ANA.id })
  })

  it('offers a signed dashboard link when the schema is too rich for a modal', async () => {
    const responseSchema = { type: 'object', properties: { lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } }, required: ['lines'] }
    const id = await create({ task: 'Which lines to refund?', responseSchema, notify: [`slack:${ANA.id}`] })
    const msg = await postedMessage(id)
    expect(actionIds(msg.call.args.blocks)).toEqual(['hp.open'])
    await eventually(async () => (await get(id)).state === 'delivered')
    const click = buttonClick({ checkpointId: id, actionId: 'hp.open', user: ANA, message: msg })
    await postInteraction(slack, click)
    const opened = await eventually(async () => fake.callsTo('views.open').find((c) => c.args.trigger_id === click.trigger_id))
    const button = opened.args.view.blocks.flatMap((b: any) => b.elements ?? []).find((e: any) => e.url)
    expect(button.url).toMatch(new RegExp(`/checkpoints/${id}\\?grant=`))
  })
})

describe('keeping Slack in step', () => {
  it('updates the Slack message when the answer comes from elsewhere (the agent API, standing in for the dashboard)', async () => {
    const id = await create(refund({ notify: ['slack:#approvals', 'dashboard'] }))
    const msg = await postedMessage(id)
    await eventually(async () => (await get(id)).deliveredTo.includes('slack:#approvals'))
    const res = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: 'ok' }, actor: 'ops-bot' })
    expect(res.status).toBe(200)
    const update = await eventually(async () => fake.about('chat.update', msg.ts).find((c) => textOf(c.args.blocks).includes('Answered by')))
    expect(textOf(update.args.blocks)).toContain('ops-bot (via the API)')
    expect(textOf(update.args.blocks)).toContain('approved: yes · note: ok')
    expect(actionIds(update.args.blocks)).toEqual([])
  })

  it('shows cancellation on the message', async () => {
    const id = await create(refund({ notify: [`slack:@${BOB.id}`] }))
    const msg = await postedMessage(id)
    await eventually(async () => (await get(id)).state === 'delivered')
    expect((await hp.api('POST', `/v1/checkpoints/${id}/cancel`, {})).status).toBe(200)
    const update = await eventually(async () => fake.about('chat.update', msg.ts).find((c) => textOf(c.args.blocks).includes('Cancelled')))
    expect(actionIds(update.args.blocks)).toEqual([])
  })

  it('captures a thread reply as free text and answers in the thread that a structured answer is needed', async () => {
    const id = await create(refund({ notify: ['slack:#approvals'] }))
    const msg = await postedMessage(id)
    await eventually(async () => (await get(id)).state === 'delivered')
    const reply = threadReply({ channel: msg.channel, threadTs: msg.ts, user: ANA.id, text: 'approve, but only up to $40' })
    expect((await postEvent(slack, reply)).status).toBe(200)
    // The same event redelivered by Slack is captured once.
    expect((await postEvent(slack, reply, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_error' } })).status).toBe(200)
    // Holdpoint's own thread posts are not replies to capture.
    await postEvent(slack, threadReply({ channel: msg.channel, threadTs: msg.ts, user: 'UBOT', text: 'bot says', botId: 'BBOT' }))
    const captured = await eventually(async () => (await audit(id)).find((e) => e.kind === 'free_text'))
    expect(captured.actor).toMatchObject({ channel: 'slack', actor: ANA.id })
    expect(captured.data).toMatchObject({ text: 'approve, but only up to $40', assigned: true })
    const answer = await eventually(async () => fake.callsTo('chat.postMessage').find((c) => c.args.thread_ts === msg.ts && c.args.channel === msg.channel))
    expect(textOf(answer.args.blocks)).toContain('structured answer')
    expect(actionIds(answer.args.blocks)).toEqual(['hp.claim', 'hp.answer.0', 'hp.answer.1', 'hp.open'])
    await new Promise((r) => setTimeout(r, 200))
    expect((await audit(id)).filter((e) => e.kind === 'free_text')).toHaveLength(1)
    expect((await get(id)).state).toBe('delivered')

    // The thread's buttons work (they act for the parent message), and the reply is closed afterwards.
    await postInteraction(slack, buttonClick({ checkpointId: id, actionId: 'hp.answer.0', user: ANA, message: { channel: msg.channel, ts: answer.result!.ts }, threadTs: msg.ts }))
    await eventually(async () => (await get(id)).state === 'resolved')
    await eventually(async () => fake.about('chat.update', answer.result!.ts).find((c) => textOf(c.args.blocks).includes('Answered by')))
  })
})

describe('reliability of sending', () => {
  it('waits out a 429 from the Slack API for exactly Retry-After, then delivers', async () => {
    fake.failNext('chat.postMessage', { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } })
    const id = await create(refund({ task: 'Rate limited request', notify: ['slack:#approvals'] }))
    await eventually(async () => (await get(id)).state === 'delivered')
    const posts = fake.callsTo('chat.postMessage').filter((c) => c.args.text?.includes('Rate limited request'))
    expect(posts.map((c) => c.status)).toEqual([429, 200])
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950)
    expect((await audit(id)).some((e) => e.kind === 'delivery.failed')).toBe(false)
  })

  it('does not let a failing Slack send block the other channels of the checkpoint', async () => {
    fake.failNext('chat.postMessage', { status: 200, body: { ok: false, error: 'channel_not_found' } })
    const id = await create(refund({ task: 'Channel gone', notify: ['slack:#gone', 'dashboard'] }))
    await eventually(async () => (await get(id)).deliveredTo.includes('dashboard'))
    const failed = await eventually(async () => (await audit(id)).find((e) => e.kind === 'delivery.failed'))
    expect(failed.data).toMatchObject({ recipient: 'slack:#gone', final: true })
    expect(failed.data.reason).toContain('channel_not_found')
  })
})
