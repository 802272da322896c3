import { generateKeyPairSync, randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { VerifierFunction } from '../../verify/verifier.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { FakeConnector, signJwt, type ConnectorCall, type FakeMember } from './fake-connector.js'
import { appRemoved, CHANNEL, execute, personalChat, personalInstall, post, teamInstall, TENANT, type Poster } from './teams-activities.js'

const APP_ID = randomUUID()
const member = (name: string): FakeMember => ({ id: `29:${name}-teams-id`, aadObjectId: randomUUID(), name, userPrincipalName: `${name}@contoso.com` })
const ANA = member('ana')
const BOB = member('bob')
const CARA = member('cara')

let fake: FakeConnector
let hp: TestHoldpoint
let p: Poster

/** Sends the answer back once with a reason, then passes it. */
const picky: VerifierFunction = (input) => {
  const note = (input.answer as { note?: string }).note ?? ''
  return Promise.resolve(note.includes('ticket') ? { passed: true, reason: 'Cites the ticket.' } : { passed: false, reason: 'Cite the support ticket in the note.' })
}

beforeAll(async () => {
  fake = await new FakeConnector(APP_ID).start()
  for (const m of [ANA, BOB, CARA]) fake.addMember(m)
  hp = await startHoldpoint({
    env: {
      TEAMS_APP_ID: APP_ID,
      TEAMS_APP_PASSWORD: 'bot-password',
      TEAMS_TENANT_ID: TENANT,
      TEAMS_OPENID_METADATA_URL: `${fake.url}/openid`,
      TEAMS_LOGIN_URL: fake.url,
    },
    verifiers: { picky },
  })
  p = { url: hp.url, fake }
  expect((await post(p, teamInstall(p, ANA))).status).toBe(200)
  for (const who of [ANA, BOB]) expect((await post(p, personalInstall(p, who))).status).toBe(200)
})
afterAll(async () => {
  await hp.close()
  await fake.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

let serial = 0
const refund = (extra: Record<string, unknown> = {}) => ({
  task: `Approve a $250 refund for cus_42? #${++serial}`,
  payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate *charge* [link](http://x) {{DATE(2020-01-01T00:00:00Z)}}' },
  responseSchema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
  ...extra,
})

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', body)
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

const cardOf = (call: ConnectorCall): any => call.body?.attachments?.[0]?.content
const text = (card: unknown) => JSON.stringify(card)
const actionsOf = (card: any): any[] => card?.actions ?? []
/** The card posted for a checkpoint into a conversation, and its activity id. */
async function postedCard(id: string, conversation: string): Promise<{ id: string; card: any }> {
  const call = await eventually(async () => fake.posted(conversation).find((c) => text(c.body).includes(`"cp":"${id}"`)))
  expect(call.activityId, 'a new message, not a reply').toBeUndefined()
  return { id: String(call.result.id), card: cardOf(call) }
}
/** The data of the button titled `title`, on the card or inside a card it shows (Action.ShowCard). */
const dataFor = (card: any, title: string): any => {
  for (const a of actionsOf(card)) {
    if (a.title === title) return a.data
    const inner = a.type === 'Action.ShowCard' ? dataFor(a.card, title) : undefined
    if (inner) return inner
  }
  return undefined
}

describe('installing and reaching people', () => {
  it('keeps conversation references from installs and fetches the installer’s principal name', async () => {
    const tokenCalls = fake.tokenRequests
    expect(fake.calls.some((c) => c.method === 'GET' && c.path === `/v3/conversations/${encodeURIComponent(personalChat(ANA))}/members/${encodeURIComponent(ANA.id)}`)).toBe(true)
    expect(tokenCalls.length).toBeGreaterThan(0)
    expect(tokenCalls[0]).toMatchObject({ tenant: TENANT, client_id: APP_ID, scope: 'https://api.botframework.com/.default' })
  })

  it('refuses recipients it cannot read and takes both personal forms', async () => {
    const bad = await hp.api('POST', '/v1/checkpoints', refund({ notify: ['teams:not a recipient'] }))
    expect(bad.status).toBe(422)
    const ok = await create(refund({ notify: [`teams:${ANA.userPrincipalName.toUpperCase()}`, `teams:${BOB.aadObjectId}`] }))
    expect((await get(ok)).notify).toEqual([`teams:${ANA.userPrincipalName}`, `teams:${BOB.aadObjectId}`])
    await postedCard(ok, personalChat(ANA))
    await postedCard(ok, personalChat(BOB))
  })
})

describe('a card in a channel', () => {
  it('posts the card, takes a one-tap answer from an assignee, refreshes it in the invoke response and for everyone', async () => {
    const id = await create(refund({ notify: [`teams:channel:${CHANNEL}`], assignTo: [`teams:channel:${CHANNEL}`] }))
    const sent = await postedCard(id, CHANNEL)
    const body = text(sent.card)
    expect(sent.card).toMatchObject({ type: 'AdaptiveCard', version: '1.4' })
    expect(body).toContain('Approve a $250 refund for cus\\\\_42?')
    // Agent strings are shown literally: no emphasis, no link, no date function.
    expect(body).toContain('Duplicate \\\\*charge\\\\* \\\\[link\\\\](http://x) {\u200d{DATE')
    expect(actionsOf(sent.card).map((a) => [a.type, a.title])).toEqual([
      ['Action.Execute', 'Claim'],
      ['Action.Execute', 'Approve'],
      ['Action.Execute', 'Reject'],
    ])
    await until(id, 'delivered')

    const invoke = execute(p, BOB, { channel: CHANNEL }, sent.id, dataFor(sent.card, 'Approve'))
    const res = await post(p, invoke)
    expect(res.status).toBe(200)
    expect(res.body.type).toBe('application/vnd.microsoft.card.adaptive')
    expect(text(res.body.value)).toContain('Answered by bob (on teams)')
    expect(actionsOf(res.body.value)).toEqual([])
    const cp = await get(id)
    expect(cp.state).toBe('resolved')
    expect(cp.response).toEqual({ approved: true })
    expect(cp.respondedBy).toMatchObject({ channel: 'teams', actor: BOB.aadObjectId, name: 'bob' })

    // Teams retried the same invoke: nothing is recorded twice; the person sees the current card.
    const again = await post(p, invoke)
    expect(again.status).toBe(200)
    expect(text(again.body.value)).toContain('Answered by bob')
    expect((await audit(id)).filter((e) => e.kind === 'answered')).toHaveLength(1)

    const update = await eventually(async () => fake.updates(sent.id).find((c) => text(cardOf(c)).includes('Answered by bob')))
    expect(update.conversation).toBe(CHANNEL)
    expect(actionsOf(cardOf(update))).toEqual([])
  })

  it('lets the first person claim, shows the claim to everyone, and refuses someone else', async () => {
    const id = await create(refund({ notify: [`teams:channel:${CHANNEL}`] }))
    const sent = await postedCard(id, CHANNEL)
    await until(id, 'delivered')
    const claim = await post(p, execute(p, ANA, { channel: CHANNEL }, sent.id, dataFor(sent.card, 'Claim')))
    expect(text(claim.body.value)).toContain('Claimed by ana')
    expect(actionsOf(claim.body.value).map((a) => a.title)).toEqual(['Approve', 'Reject', 'Release'])
    await eventually(async () => fake.updates(sent.id).find((c) => text(cardOf(c)).includes('Claimed by ana')))
    const other = await post(p, execute(p, CARA, { channel: CHANNEL }, sent.id, dataFor(sent.card, 'Reject')))
    expect(text(other.body.value)).toContain('claimed by ana')
    expect((await get(id)).state).toBe('claimed')
    const kinds = (await audit(id)).map((e) => `${e.kind}${e.data?.reason ? `:${e.data.reason}` : ''}`)
    expect(kinds).toEqual(['created', 'delivered', 'claimed', 'refused:claimed_by_other'])
  })

  it('refuses a person who is not assigned: the card says who may answer, the refusal is audited, nothing changes', async () => {
    const id = await create(refund({ notify: [`teams:channel:${CHANNEL}`], assignTo: [`teams:${ANA.userPrincipalName}`] }))
    const sent = await postedCard(id, CHANNEL)
    await until(id, 'delivered')
    const res = await post(p, execute(p, CARA, { channel: CHANNEL }, sent.id, dataFor(sent.card, 'Approve')))
    expect(res.status).toBe(200)
    expect(text(res.body.value)).toContain(`Only ${ANA.userPrincipalName} may answer`)
    const refused = await eventually(async () => (await audit(id)).find((e) => e.kind === 'refused'))
    expect(refused.data).toMatchObject({ reason: 'not_assigned', attempted: 'answered', via: 'teams.answer' })
    expect(refused.actor).toMatchObject({ channel: 'teams', actor: CARA.aadObjectId })
    expect((await get(id)).state).toBe('delivered')

    // Ana is named by her principal name; Teams tells the bot only her object id, so the bot asks for the rest.
    const ok = await post(p, execute(p, ANA, { channel: CHANNEL }, sent.id, dataFor(sent.card, 'Reject')))
    expect(text(ok.body.value)).toContain('Answered by ana')
    expect((await get(id)).response).toEqual({ approved: false })
  })
})

describe('personal chats and forms', () => {
  it('builds inputs from the schema, shows schema problems on the card, then takes a valid answer', async () => {
    const schema = {
      type: 'object',
      properties: { amountUsd: { type: 'integer', minimum: 1, maximum: 500 }, priority: { enum: ['low', 'high'] }, note: { type: 'string', description: 'Why' } },
      required: ['amountUsd', 'priority'],
      additionalProperties: false,
    }
    const id = await create(refund({ notify: [`teams:${ANA.aadObjectId}`], responseSchema: schema }))
    const sent = await postedCard(id, personalChat(ANA))
    expect(sent.card.body.filter((e: any) => e.type?.startsWith('Input.')).map((e: any) => [e.type, e.id, e.isRequired])).toEqual([
      ['Input.Number', 'f0', true],
      ['Input.ChoiceSet', 'f1', true],
      ['Input.Text', 'f2', false],
    ])
    const submit = dataFor(sent.card, 'Submit')
    const bad = await post(p, execute(p, ANA, { personal: true }, sent.id, { ...submit, f0: '900', f1: '1' }))
    expect(text(bad.body.value)).toContain('Not accepted')
    expect(bad.body.value.body.find((e: any) => e.id === 'f0')).toMatchObject({ value: 900 })
    expect((await audit(id)).find((e) => e.kind === 'refused')?.data.reason).toBe('invalid_response')
    const good = await post(p, execute(p, ANA, { personal: true }, sent.id, { ...submit, f0: '120', f1: '1', f2: 'late parcel' }))
    expect(text(good.body.value)).toContain('Answered by ana')
    expect((await get(id)).response).toEqual({ amountUsd: 120, priority: 'high', note: 'late parcel' })
  })

  it('offers a personal dashboard link when the schema is too rich for a card', async () => {
    const schema = { type: 'object', properties: { lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } } } }
    const id = await create(refund({ notify: [`teams:${ANA.aadObjectId}`], responseSchema: schema }))
    const sent = await postedCard(id, personalChat(ANA))
    const res = await post(p, execute(p, ANA, { personal: true }, sent.id, dataFor(sent.card, 'Answer in the dashboard…')))
    const link = actionsOf(res.body.value).find((a) => a.type === 'Action.OpenUrl')
    expect(link.url).toMatch(new RegExp(`/checkpoints/${id}\\?grant=`))
  })

  it('shows the verifier’s reason when an answer is sent back, on the card and in the thread', async () => {
    const schema = approvalSchema
    const id = await create(refund({ notify: [`teams:${BOB.aadObjectId}`], responseSchema: schema, verify: { provider: 'function:picky', instructions: 'Cite the ticket.' } }))
    const sent = await postedCard(id, personalChat(BOB))
    const first = await post(p, execute(p, BOB, { personal: true }, sent.id, { ...dataFor(sent.card, 'Submit'), f0: '0', f1: 'looks fine' }))
    expect(first.status).toBe(200)
    expect(actionsOf(sent.card).map((a) => a.title)).toEqual(['Approve', 'Reject', 'Answer with a note…'])
    await eventually(async () => (await get(id)).verification?.attempts === 1)
    const card = await eventually(async () => fake.updates(sent.id).find((c) => text(cardOf(c)).includes('The answer was sent back')))
    expect(text(cardOf(card))).toContain('Cite the support ticket in the note.')
    const reply = await eventually(async () => fake.posted(personalChat(BOB)).find((c) => String(c.body.text).includes('sent back')))
    expect(reply.activityId).toBe(sent.id)
    await post(p, execute(p, BOB, { personal: true }, sent.id, { ...dataFor(sent.card, 'Submit'), f0: '0', f1: 'see ticket 42' }))
    await until(id, 'resolved')
    await eventually(async () => fake.updates(sent.id).find((c) => text(cardOf(c)).includes('Answered by bob')))
  })

  it('reminds in the card’s thread, once per reminder', async () => {
    const id = await create(refund({ notify: [`teams:channel:${CHANNEL}`], reminders: { everySeconds: 1, max: 2 } }))
    const sent = await postedCard(id, CHANNEL)
    const thread = `${CHANNEL};messageid=${sent.id}`
    const reminders = await eventually(async () => {
      const calls = fake.posted(thread)
      return calls.length >= 2 && calls
    }, 15_000)
    expect(reminders.every((c) => String(c.body.text).startsWith('⏰ Reminder'))).toBe(true)
    await new Promise((r) => setTimeout(r, 1500))
    expect(fake.posted(thread)).toHaveLength(2)
  })
})

describe('POST /teams/messages trust', () => {
  it('answers 401 to forged, expired, mis-addressed and wrong-issuer tokens, and changes nothing', async () => {
    const id = await create(refund({ notify: [`teams:channel:${CHANNEL}`] }))
    const sent = await postedCard(id, CHANNEL)
    await until(id, 'delivered')
    const before = (await audit(id)).length
    const invoke = () => execute(p, ANA, { channel: CHANNEL }, sent.id, dataFor(sent.card, 'Approve'))
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey
    const now = Math.floor(Date.now() / 1000)
    const tokens = {
      forged: fake.token({}, { key: stranger }),
      unknownKey: fake.token({}, { key: stranger, kid: 'other' }),
      expired: fake.token({ exp: now - 3600, nbf: now - 7200 }),
      otherBot: fake.token({ aud: randomUUID() }),
      otherService: fake.token({ serviceurl: 'https://smba.trafficmanager.net/evil/' }),
      emulatorIssuer: signJwt(stranger, 'x', { iss: 'https://sts.windows.net/d6d49420-f39b-4df7-a1dc-d59a935871db/', aud: APP_ID, exp: now + 600 }),
      garbage: 'not-a-jwt',
    }
    for (const [name, token] of Object.entries(tokens)) {
      const res = await post(p, invoke(), token)
      expect(res.status, name).toBe(401)
    }
    const unsigned = await fetch(`${hp.url}/teams/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(invoke()) })
    expect(unsigned.status).toBe(401)
    expect((await audit(id)).length).toBe(before)
    expect((await get(id)).state).toBe('delivered')
  })
})

describe('reliability of sending', () => {
  it('waits out a 429 for exactly Retry-After through the queue, then delivers once', async () => {
    fake.failNext((c) => c.method === 'POST' && c.conversation === CHANNEL && text(c.body).includes('Rate limited'), { status: 429, headers: { 'retry-after': '1' } })
    const id = await create(refund({ task: 'Rate limited request', notify: [`teams:channel:${CHANNEL}`] }))
    await until(id, 'delivered')
    const posts = fake.calls.filter((c) => c.method === 'POST' && c.conversation === CHANNEL && text(c.body).includes('Rate limited'))
    expect(posts.map((c) => c.status)).toEqual([429, 201])
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(950)
    expect((await audit(id)).some((e) => e.kind === 'delivery.failed')).toBe(false)
  })

  it('audits a removed app or a gone conversation as a permanent failure', async () => {
    fake.failNext((c) => c.method === 'POST' && text(c.body).includes('Gone request'), { status: 404, body: { error: { code: 'ConversationNotFound' } } })
    const gone = await create(refund({ task: 'Gone request', notify: [`teams:channel:${CHANNEL}`, 'dashboard'] }))
    const failed = await eventually(async () => (await audit(gone)).find((e) => e.kind === 'delivery.failed'))
    expect(failed.data).toMatchObject({ recipient: `teams:channel:${CHANNEL}`, final: true })
    expect(failed.data.reason).toContain('404')

    const nobody = await create(refund({ notify: [`teams:${CARA.userPrincipalName}`] }))
    const notInstalled = await eventually(async () => (await audit(nobody)).find((e) => e.kind === 'delivery.failed'))
    expect(notInstalled.data.reason).toContain('has not installed Holdpoint')

    const other = '19:other-channel@thread.tacv2'
    await post(p, teamInstall(p, ANA, other))
    await post(p, appRemoved(p, ANA, other))
    const removed = await create(refund({ notify: [`teams:channel:${other}`] }))
    const removedFailure = await eventually(async () => (await audit(removed)).find((e) => e.kind === 'delivery.failed'))
    expect(removedFailure.data.reason).toContain('not installed')
  })
})
