import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startFakeTelegram, type FakeTelegram, type RecordedCall } from '../support/fake-telegram.js'

const SECRET = 'telegram-webhook-secret-for-tests'
let tg: FakeTelegram
let hp: TestHoldpoint

beforeAll(async () => {
  tg = await startFakeTelegram()
  hp = await startHoldpoint({ env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_WEBHOOK_SECRET: SECRET, TELEGRAM_API_ROOT: tg.url, TELEGRAM_MODE: 'webhook' } })
})
afterAll(async () => {
  await hp.close()
  await tg.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

let updateId = 5000
const refund = (chat: number, extra: Record<string, unknown> = {}) => ({
  task: `Approve a $250 refund for cus_${chat}?`,
  payload: { amountUsd: 250, reason: 'Duplicate charge' },
  responseSchema: approvalSchema,
  notify: [`telegram:${chat}`],
  ...extra,
})

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', body)
  expect(res.status).toBe(201)
  return res.body.id as string
}

const sentTo = (chat: number) => eventually(async () => tg.callsTo('sendMessage').find((c) => c.params.chat_id === String(chat)))
const checkpoint = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const audit = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; actor: Record<string, unknown>; data?: Record<string, unknown> }>
const buttons = (call: RecordedCall) => call.params.reply_markup.inline_keyboard[0] as Array<{ text: string; callback_data: string }>

function tapUpdate(message: RecordedCall, button: number, from: { id: number; first_name: string }, callbackId: string) {
  return {
    update_id: updateId++,
    callback_query: {
      id: callbackId,
      from: { ...from, is_bot: false },
      chat_instance: 'ci',
      data: buttons(message)[button]!.callback_data,
      message: { message_id: message.result.message_id, date: 0, chat: { id: Number(message.params.chat_id), type: Number(message.params.chat_id) < 0 ? 'group' : 'private' } },
    },
  }
}

async function postUpdate(update: unknown, secret: string | null = SECRET): Promise<Response> {
  return fetch(`${hp.url}/telegram/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret !== null && { 'x-telegram-bot-api-secret-token': secret }) },
    body: JSON.stringify(update),
  })
}

/** The one request message sent to `chat`, once Telegram has accepted it. */
async function requestMessage(chat: number): Promise<RecordedCall> {
  const call = await eventually(async () => tg.callsTo('sendMessage').find((c) => c.params.chat_id === String(chat) && c.result))
  expect(tg.callsTo('sendMessage').filter((c) => c.params.chat_id === String(chat) && c.result)).toHaveLength(1)
  return call
}

const answersFor = (callbackId: string) => tg.callsTo('answerCallbackQuery').filter((c) => c.params.callback_query_id === callbackId)

describe('telegram delivery', () => {
  it('sends the request with an inline keyboard whose callback_data is a short server-side ref', async () => {
    const id = await create(refund(101))
    const call = await sentTo(101)
    expect(call.params.parse_mode).toBe('HTML')
    expect(call.params.text).toContain('<b>Approve a $250 refund for cus_101?</b>')
    expect(call.params.text).toContain('reason: Duplicate charge')
    expect(buttons(call).map((b) => b.text)).toEqual(['Approve', 'Reject'])
    for (const b of buttons(call)) {
      expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64)
      expect(b.callback_data).not.toContain(id)
    }
    const cp = await eventually(async () => {
      const c = await checkpoint(id)
      return c.state === 'delivered' && c
    })
    expect(cp.deliveredTo).toEqual(['telegram:101'])
  })

  it('a tap by the assigned user approves, is answered, and the message is edited to the outcome without keyboard', async () => {
    const id = await create(refund(102))
    const message = await requestMessage(102)
    const res = await postUpdate(tapUpdate(message, 0, { id: 102, first_name: 'Ana' }, 'cb-102'))
    expect(res.status).toBe(200)
    const done = await eventually(async () => {
      const c = await checkpoint(id)
      return c.state === 'resolved' && c
    })
    expect(done).toMatchObject({ response: { approved: true }, respondedBy: { channel: 'telegram', actor: '102', name: 'Ana' } })
    const answered = await eventually(async () => answersFor('cb-102')[0])
    expect(answered.params.text).toBe('Recorded: Approve')
    const edit = await eventually(async () => tg.callsTo('editMessageText').find((c) => c.params.chat_id === '102'))
    expect(edit.params.message_id).toBe(String(message.result.message_id))
    expect(edit.params.text).toContain('Answered: Approve by Ana (telegram)')
    expect(edit.params.reply_markup).toBeUndefined()
    const entry = (await audit(id)).find((e) => e.kind === 'answered')
    expect(entry?.data).toMatchObject({ via: 'telegram-button' })
  })

  it('refuses a tap from a user who may not answer, with a short reply and an audit entry, changing nothing', async () => {
    // A group chat hears about it; only user 555 may answer.
    const id = await create(refund(-1003, { assignTo: ['telegram:555'] }))
    const message = await requestMessage(-1003)
    await eventually(async () => (await checkpoint(id)).state === 'delivered')
    expect((await postUpdate(tapUpdate(message, 0, { id: 999, first_name: 'Mallory' }, 'cb-103'))).status).toBe(200)
    const answered = await eventually(async () => answersFor('cb-103')[0])
    expect(answered.params).toMatchObject({ text: 'You are not allowed to answer this request.', show_alert: 'true' })
    const refused = (await audit(id)).find((e) => e.kind === 'refused')
    expect(refused).toMatchObject({ actor: { channel: 'telegram', actor: '999', name: 'Mallory' }, data: { reason: 'not_assigned' } })
    expect((await checkpoint(id)).state).toBe('delivered')
  })

  it('lets any member of an assigned group chat answer for it', async () => {
    const id = await create(refund(-1004))
    const message = await requestMessage(-1004)
    expect((await postUpdate(tapUpdate(message, 1, { id: 777, first_name: 'Bo' }, 'cb-1004'))).status).toBe(200)
    const done = await eventually(async () => {
      const c = await checkpoint(id)
      return c.state === 'resolved' && c
    })
    expect(done).toMatchObject({ response: { approved: false }, respondedBy: { channel: 'telegram', actor: '777', name: 'Bo' } })
  })

  it('answers 401 to a missing or wrong secret token and queues nothing', async () => {
    const id = await create(refund(104))
    const message = await requestMessage(104)
    await eventually(async () => (await checkpoint(id)).state === 'delivered')
    const queue = hp.runtime.queues.get('telegram-inbound')
    const before = await queue.count()
    for (const secret of [null, 'wrong-secret', `${SECRET}x`]) {
      const res = await postUpdate(tapUpdate(message, 0, { id: 104, first_name: 'Ana' }, `cb-104-${secret}`), secret)
      expect(res.status).toBe(401)
      expect(res.headers.get('content-type')).toMatch(/problem\+json/)
    }
    expect(await queue.count()).toBe(before)
    expect((await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'])).some((j) => String(j.id).startsWith('cb.cb-104'))).toBe(false)
    expect((await checkpoint(id)).state).toBe('delivered')
    expect((await audit(id)).map((e) => e.kind)).toEqual(['created', 'delivered'])
  })

  it('processes a duplicated update once', async () => {
    const id = await create(refund(-1005, { assignTo: ['telegram:555'] }))
    const message = await requestMessage(-1005)
    await eventually(async () => (await checkpoint(id)).state === 'delivered')
    const update = tapUpdate(message, 0, { id: 999, first_name: 'Mallory' }, 'cb-105')
    expect((await postUpdate(update)).status).toBe(200)
    expect((await postUpdate(update)).status).toBe(200)
    await eventually(async () => answersFor('cb-105').length === 1)
    const jobs = await hp.runtime.queues.get('telegram-inbound').getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'])
    expect(jobs.filter((j) => j.name === 'update' && j.data.update_id === update.update_id)).toHaveLength(1)
    await eventually(async () => (await audit(id)).some((e) => e.kind === 'refused'))
    expect((await audit(id)).filter((e) => e.kind === 'refused')).toHaveLength(1)
  })

  it('waits exactly retry_after on a 429, then sends', async () => {
    tg.fail('sendMessage', { error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }, { match: (p) => p.chat_id === '106' })
    const id = await create(refund(106))
    await eventually(async () => (await checkpoint(id)).state === 'delivered', 15_000)
    const attempts = tg.callsTo('sendMessage').filter((c) => c.params.chat_id === '106')
    expect(attempts).toHaveLength(2)
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(950)
    expect((await audit(id)).some((e) => e.kind === 'delivery.failed')).toBe(false)
  })

  it('stops retrying a chat that blocked the bot, with an audit entry, and other chats are unaffected', async () => {
    tg.fail('sendMessage', { error_code: 403, description: 'Forbidden: bot was blocked by the user' }, { match: (p) => p.chat_id === '107', times: 100 })
    const blocked = await create(refund(107))
    const fine = await create(refund(108))
    const failed = await eventually(async () => (await audit(blocked)).find((e) => e.kind === 'delivery.failed'))
    expect(failed.data).toMatchObject({ recipient: 'telegram:107', final: true })
    expect(String(failed.data?.reason)).toContain('403')
    expect(tg.callsTo('sendMessage').filter((c) => c.params.chat_id === '107')).toHaveLength(1)
    await eventually(async () => (await checkpoint(fine)).state === 'delivered')
  })

  it('edits the message when the checkpoint is answered elsewhere, and when it is cancelled', async () => {
    const answered = await create(refund(109))
    const cancelled = await create(refund(110))
    await requestMessage(109)
    await requestMessage(110)
    await eventually(async () => (await checkpoint(answered)).state === 'delivered' && (await checkpoint(cancelled)).state === 'delivered')
    expect((await hp.api('POST', `/v1/checkpoints/${answered}/response`, { response: { approved: false }, actor: 'ops-bot', name: 'Ops' })).status).toBe(200)
    expect((await hp.api('POST', `/v1/checkpoints/${cancelled}/cancel`, {})).status).toBe(200)
    const edit = await eventually(async () => tg.callsTo('editMessageText').find((c) => c.params.chat_id === '109'))
    expect(edit.params.text).toContain('Answered: Reject by Ops (api)')
    expect(edit.params.reply_markup).toBeUndefined()
    const cancelEdit = await eventually(async () => tg.callsTo('editMessageText').find((c) => c.params.chat_id === '110'))
    expect(cancelEdit.params.text).toContain('Cancelled')
  })

  it('reminds as a reply to the request with the buttons again, once per reminder, and the outcome edits the reminders too', async () => {
    const id = await create(refund(131, { reminders: { everySeconds: 1, max: 2 } }))
    const request = await requestMessage(131)
    const reminders = await eventually(async () => {
      const found = tg.callsTo('sendMessage').filter((c) => c.params.chat_id === '131' && c.result && String(c.params.text).includes('Reminder'))
      return found.length === 2 && found
    }, 10_000)
    for (const reminder of reminders) {
      expect(reminder.params.reply_parameters.message_id).toBe(request.result.message_id)
      expect(buttons(reminder).map((b) => b.text)).toEqual(buttons(request).map((b) => b.text))
    }
    await new Promise((r) => setTimeout(r, 1_500))
    expect(tg.callsTo('sendMessage').filter((c) => c.params.chat_id === '131' && String(c.params.text).includes('Reminder') && c.result)).toHaveLength(2)
    expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ops-bot' })).status).toBe(200)
    await eventually(async () => tg.callsTo('editMessageText').filter((c) => c.params.chat_id === '131').length === 3)
  })

  it('asks for a single free-text field with ForceReply and takes the reply as the answer', async () => {
    const schema = { type: 'object', properties: { reason: { type: 'string', minLength: 3 } }, required: ['reason'] }
    const id = await create(refund(111, { responseSchema: schema }))
    const message = await requestMessage(111)
    expect(message.params.reply_markup).toMatchObject({ force_reply: true })
    const reply = {
      update_id: updateId++,
      message: { message_id: 900, date: 0, chat: { id: 111, type: 'private' }, from: { id: 111, is_bot: false, first_name: 'Ana' }, text: 'duplicate charge', reply_to_message: { message_id: message.result.message_id, date: 0, chat: { id: 111, type: 'private' } } },
    }
    expect((await postUpdate(reply)).status).toBe(200)
    const done = await eventually(async () => {
      const c = await checkpoint(id)
      return c.state === 'resolved' && c
    })
    expect(done.response).toEqual({ reason: 'duplicate charge' })
    expect(done.respondedBy).toMatchObject({ channel: 'telegram', actor: '111' })
  })

  it('links to the dashboard form when the schema is richer', async () => {
    const schema = { type: 'object', properties: { amount: { type: 'number' }, note: { type: 'string' } }, required: ['amount', 'note'] }
    const id = await create(refund(112, { responseSchema: schema }))
    const call = await sentTo(112)
    expect(call.params.text).toMatch(new RegExp(`href="http://127\\.0\\.0\\.1:\\d+/checkpoints/${id}\\?grant=`))
  })
})
