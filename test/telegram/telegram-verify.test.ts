import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { FakeAnthropic } from '../support/fake-anthropic.js'
import { startFakeTelegram, type FakeTelegram, type RecordedCall } from '../support/fake-telegram.js'
import { policyBrain } from '../verify/policy-brain.js'

/**
 * Verification on Telegram: the verifier's reason reaches the chat when an answer is sent
 * back, with a way to answer again, and the outcome edit reaches every message about it.
 */
const SECRET = 'telegram-webhook-secret-for-tests'
const REASON = 'The note must name the duplicate charge.'
let tg: FakeTelegram
let model: FakeAnthropic
let hp: TestHoldpoint
let updateId = 9000

beforeAll(async () => {
  tg = await startFakeTelegram()
  // A scripted model reads replies in words (free text → proposal → Confirm).
  model = await new FakeAnthropic(policyBrain).start()
  hp = await startHoldpoint({
    env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: tg.url, TELEGRAM_MODE: 'webhook', ANTHROPIC_API_KEY: model.apiKey, ANTHROPIC_BASE_URL: model.url },
    verifiers: {
      // Sends the first attempt back and passes the next.
      sendBackOnce: (input) => Promise.resolve(input.attempt > 1 ? { passed: true, reason: 'Fine now.' } : { passed: false, reason: REASON }),
      neverPasses: () => Promise.resolve({ passed: false, reason: REASON }),
    },
  })
})
afterAll(async () => {
  await hp.close()
  await tg.close()
  await model.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function create(chat: number, provider: string, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', {
    task: `Approve a $250 refund for cus_${chat}?`,
    payload: { amountUsd: 250 },
    responseSchema: approvalSchema,
    notify: [`telegram:${chat}`],
    verify: { provider, instructions: REASON, maxAttempts: 2 },
    ...extra,
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

const checkpoint = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const until = (id: string, state: string) =>
  eventually(async () => {
    const cp = await checkpoint(id)
    return cp.state === state && cp
  }, 15_000)
const sentIn = (chat: number) => tg.callsTo('sendMessage').filter((c) => c.params.chat_id === String(chat) && c.result)
const buttons = (call: RecordedCall) => call.params.reply_markup.inline_keyboard[0] as Array<{ text: string; callback_data: string }>

async function post(update: unknown): Promise<void> {
  const res = await fetch(`${hp.url}/telegram/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET },
    body: JSON.stringify(update),
  })
  expect(res.status).toBe(200)
}

let messageId = 50_000
/** A person's reply (in words) to one of the bot's messages; returns the reply's message id. */
async function replyTo(message: RecordedCall, text: string, userId: number): Promise<number> {
  const id = messageId++
  const chat = { id: Number(message.params.chat_id), type: 'private' }
  await post({ update_id: updateId++, message: { message_id: id, date: 0, from: { id: userId, first_name: 'Ana', is_bot: false }, chat, text, reply_to_message: { message_id: message.result.message_id, chat } } })
  return id
}

function tap(message: RecordedCall, button: number, userId: number) {
  return post({
    update_id: updateId++,
    callback_query: {
      id: `cb-${updateId}`,
      from: { id: userId, first_name: 'Ana', is_bot: false },
      chat_instance: 'ci',
      data: buttons(message)[button]!.callback_data,
      message: { message_id: message.result.message_id, date: 0, chat: { id: Number(message.params.chat_id), type: 'private' } },
    },
  })
}

const editsOf = (chat: number, messageId: number) => tg.callsTo('editMessageText').filter((c) => c.params.chat_id === String(chat) && Number(c.params.message_id) === messageId)

describe('verification on telegram', () => {
  it('an answer sent back: the reason arrives as a reply to the request with buttons again; the second answer passes and every message shows the outcome', async () => {
    const id = await create(301, 'function:sendBackOnce')
    const request = await eventually(async () => sentIn(301)[0])
    await tap(request, 0, 301)
    const sentBack = await eventually(async () => sentIn(301)[1])
    expect(sentBack.params.text).toContain('The answer was sent back')
    expect(sentBack.params.text).toContain(REASON)
    expect(sentBack.params.text).toContain('Please answer again.')
    expect(sentBack.params.reply_parameters).toMatchObject({ message_id: request.result.message_id })
    expect(buttons(sentBack).map((b) => b.text)).toEqual(['Approve', 'Reject'])
    expect(await checkpoint(id)).toMatchObject({ state: 'claimed', verification: { passed: false, reason: REASON, attempts: 1 } })

    await tap(sentBack, 0, 301)
    await until(id, 'resolved')
    for (const message of [request, sentBack]) {
      const edit = await eventually(async () => editsOf(301, message.result.message_id)[0])
      expect(edit.params.text).toContain('Answered: Approve by Ana (telegram).')
      expect(edit.params.reply_markup).toBeUndefined()
    }
    // One message per failed attempt, however many state changes followed.
    await new Promise((r) => setTimeout(r, 300))
    expect(sentIn(301)).toHaveLength(2)
  })

  it('after maxAttempts the checkpoint ends rejected, shown as such on every message', async () => {
    const id = await create(302, 'function:neverPasses')
    const request = await eventually(async () => sentIn(302)[0])
    await tap(request, 0, 302)
    const sentBack = await eventually(async () => sentIn(302)[1])
    await tap(sentBack, 0, 302)
    await until(id, 'rejected')
    for (const message of [request, sentBack]) {
      const edit = await eventually(async () => editsOf(302, message.result.message_id)[0])
      expect(edit.params.text).toContain('did not pass verification')
    }
    expect(sentIn(302)).toHaveLength(2)
  })

  it('free text: a reply in words becomes a proposal with Confirm; nothing counts until its author confirms', async () => {
    const create2 = await hp.api('POST', '/v1/checkpoints', { task: 'Refund $250 to cus_303?', payload: { amountUsd: 250 }, responseSchema: approvalSchema, notify: ['telegram:303'] })
    const id = create2.body.id as string
    const request = await eventually(async () => sentIn(303)[0])

    const unclear = await replyTo(request, 'maybe, not sure', 303)
    const unreadable = await eventually(async () => sentIn(303)[1])
    expect(unreadable.params.text).toContain('I could not read a complete answer from that')
    expect(unreadable.params.reply_parameters).toMatchObject({ message_id: unclear })
    expect(unreadable.params.reply_markup).toBeUndefined()

    const words = await replyTo(request, 'Yes, approve it: it was a duplicate charge.', 303)
    const proposal = await eventually(async () => sentIn(303)[2])
    expect(proposal.params.text).toContain('I read your reply as: <b>approved: yes · note: duplicate charge</b>')
    expect(proposal.params.reply_parameters).toMatchObject({ message_id: words })
    const confirm = buttons(proposal)
    expect(confirm.map((b) => b.text)).toEqual(['Confirm'])
    expect(confirm[0]!.callback_data).toMatch(/^c:[\w-]{8,32}$/)
    expect(confirm[0]!.callback_data).not.toContain(id)
    // Read, not answered.
    expect(await checkpoint(id)).toMatchObject({ state: 'delivered', response: null })

    // Someone else's tap on Confirm is refused and changes nothing.
    await tap(proposal, 0, 999)
    const refusal = await eventually(async () => tg.callsTo('answerCallbackQuery').find((c) => c.params.text === 'Only the person who wrote that reply can confirm it.'))
    expect(String(refusal.params.show_alert)).toBe('true')
    expect((await checkpoint(id)).state).toBe('delivered')

    await tap(proposal, 0, 303)
    const done = await until(id, 'resolved')
    expect(done.response).toEqual({ approved: true, note: 'duplicate charge' })
    expect(done.respondedBy).toMatchObject({ channel: 'telegram', actor: '303' })
    const audit = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: Record<string, unknown> }>
    expect(audit.find((e) => e.kind === 'answered')?.data).toMatchObject({ via: 'telegram-reply-confirmed' })
    const confirmedEdit = await eventually(async () => editsOf(303, proposal.result.message_id).find((c) => String(c.params.text).startsWith('Confirmed:')))
    expect(confirmedEdit.params.reply_markup).toBeUndefined()
    await eventually(async () => editsOf(303, request.result.message_id)[0])
  })
})
