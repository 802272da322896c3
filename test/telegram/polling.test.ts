import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startFakeTelegram, type FakeTelegram } from '../support/fake-telegram.js'

let tg: FakeTelegram
let hp: TestHoldpoint
let secondWorker: TestHoldpoint

beforeAll(async () => {
  tg = await startFakeTelegram()
  hp = await startHoldpoint({ env: { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.url, TELEGRAM_MODE: 'polling' } })
  // A second worker process of the same deployment: both run the poll job, only one may poll.
  secondWorker = await startHoldpoint({ server: false, env: hp.env })
})
afterAll(async () => {
  await secondWorker.close()
  await hp.close()
  await tg.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('telegram polling mode', () => {
  it('long-polls getUpdates from one worker at a time, acts on a tap, and moves the offset stored in Redis', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', { task: 'Ship release 1.4?', responseSchema: approvalSchema, notify: ['telegram:201'] })
    expect(res.status).toBe(201)
    const id = res.body.id as string
    const message = await eventually(async () => tg.callsTo('sendMessage').find((c) => c.params.chat_id === '201' && c.result))
    const data = message.params.reply_markup.inline_keyboard[0][0].callback_data as string
    const updateId = tg.pushUpdate({
      callback_query: { id: 'poll-cb-1', from: { id: 201, is_bot: false, first_name: 'Ana' }, chat_instance: 'ci', data, message: { message_id: message.result.message_id, date: 0, chat: { id: 201, type: 'private' } } },
    })

    const done = await eventually(async () => {
      const c = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
      return c.state === 'resolved' && c
    })
    expect(done).toMatchObject({ response: { approved: true }, respondedBy: { channel: 'telegram', actor: '201', name: 'Ana' } })
    await eventually(async () => tg.callsTo('answerCallbackQuery').some((c) => c.params.callback_query_id === 'poll-cb-1'))
    await eventually(async () => tg.callsTo('editMessageText').some((c) => c.params.chat_id === '201'))

    expect(await hp.redis.get(`${hp.prefix}:tg:offset`)).toBe(String(updateId + 1))
    // Later polls ask only for newer updates, so the tap is never handed out again.
    await eventually(async () => tg.callsTo('getUpdates').some((c) => Number(c.params.offset) === updateId + 1))
    const jobs = await hp.runtime.queues.get('telegram-inbound').getJobs(['completed', 'failed', 'active', 'waiting', 'delayed'])
    expect(jobs.filter((j) => j.name === 'update')).toHaveLength(1)
    expect(tg.callsTo('answerCallbackQuery').filter((c) => c.params.callback_query_id === 'poll-cb-1')).toHaveLength(1)
    expect(tg.maxConcurrentPolls).toBe(1)
  })

  it('keeps the webhook closed in polling mode when no secret is configured', async () => {
    const res = await fetch(`${hp.url}/telegram/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ update_id: 1 }) })
    expect(res.status).toBe(401)
  })
})
