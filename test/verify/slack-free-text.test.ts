import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeAnthropic } from '../support/fake-anthropic.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { FakeSlack } from '../slack/fake-slack.js'
import { buttonClick, postEvent, postInteraction, threadReply, type MessageAt, type SlackPoster } from '../slack/slack-requests.js'
import { FAIL_REASON, POLICY, policyBrain } from './policy-brain.js'

const ANA = { id: 'UANA0001', name: 'ana' }
const BOB = { id: 'UBOB0001', name: 'bob' }

let fake: FakeSlack
let model: FakeAnthropic
let hp: TestHoldpoint
let slack: SlackPoster

beforeAll(async () => {
  fake = await new FakeSlack([ANA, BOB]).start()
  model = await new FakeAnthropic(policyBrain).start()
  const secret = randomBytes(16).toString('hex')
  hp = await startHoldpoint({
    env: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: `${fake.url}/api/`, ANTHROPIC_API_KEY: model.apiKey, ANTHROPIC_BASE_URL: model.url },
  })
  slack = { url: hp.url, secret }
})
afterAll(async () => {
  await hp.close()
  await Promise.all([fake.close(), model.close()])
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function create(): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', {
    task: `Approve a $250 refund for cus_42? (${randomBytes(3).toString('hex')})`,
    payload: { amountUsd: 250 },
    responseSchema: approvalSchema,
    notify: ['slack:#approvals'],
    verify: { provider: 'anthropic', instructions: POLICY },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}
const get = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const audit = async (id: string): Promise<any[]> => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries
const until = (id: string, state: string) =>
  eventually(async () => {
    const cp = await get(id)
    return cp.state === state && cp
  }, 15_000)

async function posted(id: string): Promise<MessageAt> {
  const call = await eventually(async () => fake.about('chat.postMessage', id).find((c) => !c.args.thread_ts && c.result?.ok))
  return { channel: call.result!.channel, ts: call.result!.ts }
}
const actionIds = (blocks: any[]): string[] => blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e: any) => e.action_id) : []))
const threadPosts = (msg: MessageAt) => fake.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === msg.ts)

describe('free text in a Slack thread → a typed answer to confirm', () => {
  it('reads the reply in a job, shows the typed answer with Confirm / Edit, and only the author’s Confirm answers', async () => {
    const id = await create()
    const msg = await posted(id)
    const reply = await postEvent(slack, threadReply({ channel: msg.channel, threadTs: msg.ts, user: ANA.id, text: 'Yes, approve it: it was a duplicate charge.' }))
    expect(reply.status).toBe(200)
    const proposal = await eventually(async () => threadPosts(msg).find((c) => actionIds(c.args.blocks ?? []).some((a) => a.startsWith('hp.confirm.'))))
    expect(JSON.stringify(proposal.args.blocks)).toContain('approved: yes · note: duplicate charge')
    const [confirm, edit] = actionIds(proposal.args.blocks)
    expect(edit).toBe('hp.open')
    // Nothing counts yet.
    expect((await get(id)).response).toBeNull()
    expect((await audit(id)).find((e) => e.kind === 'free_text').data).toMatchObject({ text: 'Yes, approve it: it was a duplicate charge.', via: 'slack.thread' })

    const at = { channel: msg.channel, ts: proposal.result!.ts }
    await postInteraction(slack, buttonClick({ checkpointId: id, actionId: confirm!, user: BOB, message: at, threadTs: msg.ts }))
    await eventually(async () => fake.callsTo('chat.postEphemeral').find((c) => c.args.user === BOB.id && /Only the person who wrote/.test(c.args.text)))
    expect((await get(id)).response).toBeNull()

    await postInteraction(slack, buttonClick({ checkpointId: id, actionId: confirm!, user: ANA, message: at, threadTs: msg.ts }))
    const done = await until(id, 'resolved')
    expect(done.response).toEqual({ approved: true, note: 'duplicate charge' })
    expect(done.respondedBy).toMatchObject({ channel: 'slack', actor: ANA.id })
    const kinds = (await audit(id)).map((e) => e.kind)
    expect(kinds).toEqual(expect.arrayContaining(['free_text', 'answered', 'verified']))
    expect((await audit(id)).find((e) => e.kind === 'answered').data).toMatchObject({ via: 'slack.confirm' })
    expect(model.calls.filter((c) => c.data?.task === done.task).map((c) => c.tool)).toEqual(['record_answer', 'record_verdict'])
  })

  it('says so, with the usual buttons, when the words give no complete answer', async () => {
    const id = await create()
    const msg = await posted(id)
    await postEvent(slack, threadReply({ channel: msg.channel, threadTs: msg.ts, user: ANA.id, text: 'maybe, not sure yet' }))
    const reply = await eventually(async () => threadPosts(msg).find((c) => /could not read a complete answer/.test(JSON.stringify(c.args.blocks ?? []))))
    expect(JSON.stringify(reply.args.blocks)).toContain('No decision was given.')
    expect(actionIds(reply.args.blocks)).toContain('hp.answer.0')
    expect(['pending', 'delivered']).toContain((await get(id)).state)
  })
})

describe('the verifier’s reason in Slack', () => {
  it('shows why an answer was sent back on the request message, and lets the person answer again', async () => {
    const id = await create()
    const msg = await posted(id)
    // One-click approve carries no note: the policy sends it back.
    await postInteraction(slack, buttonClick({ checkpointId: id, actionId: 'hp.answer.0', user: ANA, message: msg }))
    const back = await until(id, 'claimed')
    expect(back.verification).toMatchObject({ passed: false, reason: FAIL_REASON, attempts: 1 })
    const update = await eventually(async () => fake.callsTo('chat.update').find((c) => c.args.ts === msg.ts && JSON.stringify(c.args.blocks).includes(FAIL_REASON)))
    expect(JSON.stringify(update.args.blocks)).toContain('The answer was sent back')
    expect(actionIds(update.args.blocks)).toContain('hp.open')
  })
})
