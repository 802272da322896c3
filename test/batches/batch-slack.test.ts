import { randomBytes } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { FakeSlack } from '../slack/fake-slack.js'
import { buttonClick, postInteraction, type SlackPoster } from '../slack/slack-requests.js'

/**
 * Slack sends one message per batch per recipient: each item keeps its own buttons (a click
 * answers that item only), and "Approve all" answers the rest, each through Engine.answer.
 */
const ANA = { id: 'UANA0001', name: 'ana' }
const BOB = { id: 'UBOB0001', name: 'bob' }

let fake: FakeSlack
let hp: TestHoldpoint
let slack: SlackPoster

beforeAll(async () => {
  fake = await new FakeSlack([
    { ...ANA, email: 'ana@example.com' },
    { ...BOB, email: 'bob@example.com' },
  ]).start()
  const secret = randomBytes(16).toString('hex')
  hp = await startHoldpoint({ env: { SLACK_BOT_TOKEN: 'xoxb-test-token', SLACK_SIGNING_SECRET: secret, SLACK_API_URL: `${fake.url}/api/` } })
  slack = { url: hp.url, secret }
})
afterAll(async () => {
  await hp?.close()
  await fake?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

const get = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const audit = async (id: string): Promise<any[]> => {
  const body = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body
  return Array.isArray(body) ? body : (body.entries ?? body.items)
}
const actionIds = (blocks: any[]): string[] => blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e: any) => e.action_id) : []))
const batch = { id: 'cleanup-7', title: 'Cleanup: close stale tickets' }

describe('slack and batches', () => {
  it('posts one message for a batch of five, answers one item by its own button and the rest by Approve all', async () => {
    const ids: string[] = []
    for (let i = 1; i <= 5; i++) {
      const res = await hp.api('POST', '/v1/checkpoints', { task: `Close ticket T-${i}?`, responseSchema: approvalSchema, notify: ['slack:#approvals'], batch })
      expect(res.status).toBe(201)
      ids.push(res.body.id)
    }
    await eventually(async () => {
      for (const id of ids) if ((await get(id)).state !== 'delivered') return false
      return true
    }, 20_000)
    // Let any stray per-item post arrive before counting.
    await new Promise((r) => setTimeout(r, 1_500))
    const posts = fake.callsTo('chat.postMessage').filter((c) => ids.some((id) => JSON.stringify(c.args).includes(id)))
    expect(posts).toHaveLength(1)
    const post = posts[0]!
    expect(post.args.text).toContain('Cleanup: close stale tickets (5 requests)')
    expect(post.args.blocks[0]).toMatchObject({ type: 'header', text: { text: batch.title } })
    for (let i = 1; i <= 5; i++) expect(JSON.stringify(post.args.blocks)).toContain(`Close ticket T-${i}?`)
    // Each item has the buttons its own message would have; the batch has Approve all.
    const ids5 = actionIds(post.args.blocks)
    expect(ids5.filter((a) => a === 'hp.answer.0')).toHaveLength(5)
    expect(ids5.at(-1)).toBe('hp.batch.approve')
    const msg = { channel: post.result!.channel as string, ts: post.result!.ts as string }

    // One item's own Approve button answers that item only.
    const [first, ...rest] = ids as [string, ...string[]]
    await postInteraction(slack, buttonClick({ checkpointId: first, actionId: 'hp.answer.0', user: ANA, message: msg }))
    await eventually(async () => (await get(first)).state === 'resolved')
    const redrawn = await eventually(async () => fake.about('chat.update', msg.ts).find((c) => JSON.stringify(c.args.blocks).includes('Answered by')))
    expect(actionIds(redrawn.args.blocks).filter((a) => a === 'hp.answer.0')).toHaveLength(4)
    for (const id of rest) expect((await get(id)).state).toBe('delivered')

    // Approve all answers the four others, each once and each audited on its own.
    const click = await postInteraction(slack, buttonClick({ checkpointId: batch.id, actionId: 'hp.batch.approve', user: BOB, message: msg }))
    expect(click.status).toBe(200)
    await eventually(async () => {
      for (const id of rest) if ((await get(id)).state !== 'resolved') return false
      return true
    }, 15_000)
    for (const id of rest) {
      const cp = await get(id)
      expect(cp.response).toEqual({ approved: true })
      expect(cp.respondedBy).toMatchObject({ channel: 'slack', actor: BOB.id })
      const answered = (await audit(id)).filter((e) => e.kind === 'answered')
      expect(answered).toHaveLength(1)
      expect(answered[0].data).toMatchObject({ via: 'slack.approve-all', batch: batch.id })
    }
    expect((await get(first)).respondedBy).toMatchObject({ actor: ANA.id })
    const told = await eventually(async () => fake.about('chat.postEphemeral', BOB.id).find((c) => String(c.args.text).startsWith('Approve all')))
    expect(told.args.text).toBe('Approve all: 4 approvals recorded.')
    // Once everything is decided the message has no buttons left.
    await eventually(async () => fake.about('chat.update', msg.ts).some((c) => actionIds(c.args.blocks).length === 0))

    // A second click finds nothing open: nothing recorded, nothing audited twice.
    await postInteraction(slack, buttonClick({ checkpointId: batch.id, actionId: 'hp.batch.approve', user: BOB, message: msg }))
    await eventually(async () => fake.about('chat.postEphemeral', BOB.id).some((c) => c.args.text === 'Approve all: 0 approvals recorded.'))
    for (const id of ids) expect((await audit(id)).filter((e) => e.kind === 'answered')).toHaveLength(1)
  })
})
