import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mintDashboardLink } from '../../engine/dashboard-grant.js'
import { Keyring } from '../../engine/keyring.js'
import { FakeAnthropic } from '../support/fake-anthropic.js'
import { approvalSchema, deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { policyBrain } from '../verify/policy-brain.js'
import { DashClient, PASSWORD, refundRequest, seedPeople, startDashboardHoldpoint } from './support.js'

/** The dashboard's HTTP surface without a browser: auth, CSRF, routing rules, refusals, audit. */
let hp: TestHoldpoint
let model: FakeAnthropic
let setupToken: string
let operator: DashClient
let ana: DashClient
let ben: DashClient
let cara: DashClient

const ANA = 'ana@example.com'
const BEN = 'ben@example.com'
const CARA = 'cara@example.com'

beforeAll(async () => {
  // A scripted Anthropic model, so "Answer in words" has a model to read free text with.
  model = await new FakeAnthropic(policyBrain).start()
  ;({ hp, setupToken } = await startDashboardHoldpoint({ env: { ANTHROPIC_API_KEY: model.apiKey, ANTHROPIC_BASE_URL: model.url } }))
})
afterAll(async () => {
  await hp.close()
  await model.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function create(extra: Record<string, unknown> = {}) {
  const res = await hp.api('POST', '/v1/checkpoints', refundRequest(extra))
  expect(res.status).toBe(201)
  return res.body as { id: string }
}

async function audit(id: string) {
  return (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; actor: { actor: string }; data?: any }>
}

describe('before anyone signs in', () => {
  it('sends pages to the sign-in page and answers the API with 401', async () => {
    const anon = new DashClient(hp.url)
    const page = await anon.req('GET', '/')
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/login?next=%2F')
    const login = await anon.req('GET', '/login')
    expect(login.status).toBe(200)
    expect(login.headers.get('content-type')).toMatch(/text\/html/)
    const api = await anon.req('GET', '/ui/api/checkpoints')
    expect(api.status).toBe(401)
    expect(api.headers.get('content-type')).toMatch(/application\/problem\+json/)
    expect((await anon.req('GET', '/ui/api/events')).status).toBe(401)
  })

  it('serves hashed assets with long caching and the right content type', async () => {
    const html = await (await fetch(`${hp.url}/login`)).text()
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    const res = await fetch(hp.url + script!)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/javascript/)
    expect(res.headers.get('cache-control')).toContain('immutable')
    expect((await fetch(`${hp.url}/assets/..%2f..%2fpackage.json`)).status).toBe(404)
  })

  it('refuses a setup without the CSRF header or from another site, then sets up once', async () => {
    const anon = new DashClient(hp.url)
    const body = { token: setupToken, name: 'Olga Operator', email: 'olga@example.com', password: PASSWORD }
    expect((await anon.req('POST', '/ui/api/setup', body, { 'x-csrf-token': '' })).status).toBe(403)
    expect((await anon.req('POST', '/ui/api/setup', body, { origin: 'https://evil.example' })).status).toBe(403)
    // Still unused: the refused attempts changed nothing.
    expect((await anon.req('GET', `/ui/api/setup/${setupToken}`)).status).toBe(200)
    const seeded = await seedPeople(hp, setupToken, [
      { name: 'Ana Ruiz', email: ANA, groups: ['finance'] },
      { name: 'Ben Okafor', email: BEN, groups: ['finance'] },
      { name: 'Cara Lind', email: CARA, groups: ['support'] },
    ])
    operator = seeded.operator
    ana = seeded.clients[ANA]!
    ben = seeded.clients[BEN]!
    cara = seeded.clients[CARA]!
    const again = await new DashClient(hp.url).req('POST', '/ui/api/setup', { ...body, email: 'mallory@example.com' })
    expect(again.status).toBe(404)
    const session = await operator.req('GET', '/ui/api/session')
    expect(session.body).toMatchObject({ signedIn: true, person: { role: 'operator', email: 'olga@example.com' } })
    const people = await operator.req('GET', '/ui/api/people')
    expect(people.body.people.map((p: { email: string }) => p.email).sort()).toEqual([ANA, BEN, CARA, 'olga@example.com'])
    expect((await ana.req('GET', '/ui/api/people')).status).toBe(403)
  })
})

describe('sign-in and sessions', () => {
  it('rate-limits failed sign-ins per account', async () => {
    const client = new DashClient(hp.url)
    for (let i = 0; i < 5; i++) expect((await client.login(CARA, 'wrong password!')).status).toBe(401)
    const blocked = await client.login(CARA, PASSWORD)
    expect(blocked.status).toBe(429)
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0)
    // Another account from the same address is not locked out by Cara's counter.
    expect((await new DashClient(hp.url).login(BEN, PASSWORD)).status).toBe(200)
    await hp.redis.del(...(await hp.redis.keys(`${hp.prefix}:dash:login-fail:*`)))
  })

  it('ends the session on logout and every other session on a password change', async () => {
    const first = new DashClient(hp.url)
    const second = new DashClient(hp.url)
    expect((await first.login(BEN, PASSWORD)).status).toBe(200)
    expect((await second.login(BEN, PASSWORD)).status).toBe(200)
    const stale = new DashClient(hp.url)
    stale.cookie = first.cookie
    expect((await first.req('POST', '/ui/api/logout')).status).toBe(200)
    expect((await stale.req('GET', '/ui/api/checkpoints')).status).toBe(401)

    const changed = await second.req('POST', '/ui/api/password', { current: PASSWORD, next: 'an even better passphrase' })
    expect(changed.status).toBe(200)
    expect((await second.req('GET', '/ui/api/checkpoints')).status).toBe(200)
    expect((await ben.req('GET', '/ui/api/checkpoints')).status).toBe(401)
    expect((await new DashClient(hp.url).login(BEN, PASSWORD)).status).toBe(401)
    ben = new DashClient(hp.url)
    expect((await ben.login(BEN, 'an even better passphrase')).status).toBe(200)
  })
})

describe('checkpoints', () => {
  it('refuses a cross-site form post and a missing CSRF token, changing nothing', async () => {
    const cp = await create({ assignTo: [`email:${ANA}`] })
    const form = await ana.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, 'response=yes', {
      origin: 'https://evil.example',
      'sec-fetch-site': 'cross-site',
      'content-type': 'application/x-www-form-urlencoded',
      'x-csrf-token': '',
    })
    expect(form.status).toBe(403)
    expect((await ana.req('POST', `/ui/api/checkpoints/${cp.id}/claim`, {}, { 'x-csrf-token': 'guess' })).status).toBe(403)
    const after = await hp.api('GET', `/v1/checkpoints/${cp.id}`)
    expect(after.body.response).toBeNull()
    expect(after.body.claimedBy).toBeNull()
  })

  it('hides a checkpoint not routed to a reviewer, and audits an attempt to answer it', async () => {
    const cp = await create({ notify: [`email:${ANA}`], assignTo: [`email:${ANA}`] })
    const list = await cara.req('GET', '/ui/api/checkpoints?state=')
    expect(list.body.items.map((i: { id: string }) => i.id)).not.toContain(cp.id)
    expect((await cara.req('GET', `/ui/api/checkpoints/${cp.id}`)).status).toBe(404)
    const answer = await cara.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 10 } })
    expect(answer.status).toBe(404)
    expect((await cara.req('POST', `/ui/api/checkpoints/${cp.id}/claim`)).status).toBe(404)
    expect((await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.response).toBeNull()
    const refused = (await audit(cp.id)).filter((e) => e.kind === 'refused')
    expect(refused.map((e) => [e.actor.actor, e.data.reason, e.data.attempted])).toEqual([
      ['cara', 'not_routed', 'answered'],
      ['cara', 'not_routed', 'claimed'],
    ])
    // Ana, to whom it is routed, sees it; the operator sees everything.
    expect((await ana.req('GET', `/ui/api/checkpoints/${cp.id}`)).status).toBe(200)
    expect((await operator.req('GET', `/ui/api/checkpoints/${cp.id}`)).status).toBe(200)
  })

  it('lets a reviewer see but not answer what notifies them without assigning them', async () => {
    const cp = await create({ notify: ['dashboard'], assignTo: [`email:${ANA}`] })
    const seen = await cara.req('GET', `/ui/api/checkpoints/${cp.id}`)
    expect(seen.status).toBe(200)
    expect(seen.body.permissions).toMatchObject({ answer: false, claim: false })
    const answer = await cara.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 10 } })
    expect(answer.status).toBe(403)
    expect(answer.body.detail).toMatch(/not among the people/)
  })

  it('validates answers on the server: 422 with JSON-pointer paths, nothing changed, refusal audited', async () => {
    const cp = await create({ assignTo: [`email:${ANA}`] })
    const bad = await ana.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: 'yes', amountUsd: 900 } })
    expect(bad.status).toBe(422)
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { path: '/approved', message: expect.any(String) },
        { path: '/amountUsd', message: expect.stringMatching(/250/) },
      ]),
    )
    const after = await hp.api('GET', `/v1/checkpoints/${cp.id}`)
    expect(after.body.state).not.toBe('resolved')
    const refused = (await audit(cp.id)).find((e) => e.kind === 'refused')
    expect(refused?.data.reason).toBe('invalid_response')
  })

  it('records "viewed" once per person however often the page is opened', async () => {
    const cp = await create({ assignTo: [`email:${ANA}`] })
    for (let i = 0; i < 3; i++) await ana.req('GET', `/ui/api/checkpoints/${cp.id}`)
    await operator.req('GET', `/ui/api/checkpoints/${cp.id}`)
    const viewed = (await audit(cp.id)).filter((e) => e.kind === 'viewed').map((e) => e.actor.actor)
    expect(viewed).toEqual(['ana', 'olga'])
  })

  it('first claim wins; others get a clear refusal; an operator releases and reassigns', async () => {
    const cp = await create({ assignTo: [`email:${ANA}`, `email:${BEN}`] })
    expect((await ana.req('POST', `/ui/api/checkpoints/${cp.id}/claim`)).status).toBe(200)
    const second = await ben.req('POST', `/ui/api/checkpoints/${cp.id}/claim`)
    expect(second.status).toBe(409)
    const benAnswer = await ben.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 1 } })
    expect(benAnswer.status).toBe(409)
    expect(benAnswer.body.detail).toMatch(/claimed by Ana Ruiz/)
    expect((await ben.req('POST', `/ui/api/checkpoints/${cp.id}/release`, {})).status).toBe(409)
    expect((await ben.req('POST', `/ui/api/checkpoints/${cp.id}/release`, { reassignTo: 'ben' })).status).toBe(403)

    const benView = await ben.req('GET', `/ui/api/checkpoints/${cp.id}`)
    expect(benView.body.checkpoint.claimedBy).toMatchObject({ channel: 'dashboard', actor: 'ana', name: 'Ana Ruiz' })
    expect(benView.body.permissions).toMatchObject({ answer: false, claim: false, release: false })

    const notAssigned = await operator.req('POST', `/ui/api/checkpoints/${cp.id}/release`, { reassignTo: 'cara' })
    expect(notAssigned.status).toBe(422)
    expect(notAssigned.body.errors[0].path).toBe('/reassignTo')
    const reassigned = await operator.req('POST', `/ui/api/checkpoints/${cp.id}/release`, { reassignTo: 'ben' })
    expect(reassigned.status).toBe(200)
    expect(reassigned.body.checkpoint.claimedBy).toMatchObject({ actor: 'ben' })
    const entries = await audit(cp.id)
    const released = entries.find((e) => e.kind === 'released')
    expect(released?.actor.actor).toBe('ana')
    expect(released?.data.releasedBy).toMatchObject({ channel: 'dashboard', actor: 'olga' })
    expect(entries.filter((e) => e.kind === 'claimed').at(-1)?.data.assignedBy).toMatchObject({ actor: 'olga' })

    const done = await ben.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: false, amountUsd: 0 } })
    expect(done.status).toBe(200)
    expect(done.body.checkpoint).toMatchObject({ state: 'resolved', respondedBy: { channel: 'dashboard', actor: 'ben' } })
    const late = await ana.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 5 } })
    expect(late.status).toBe(409)
    expect(late.body.detail).toMatch(/already resolved/)
    expect((await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.response).toEqual({ approved: false, amountUsd: 0 })
  })

  it('filters the inbox by state, assignee and task text, newest first and paged', async () => {
    const a = await create({ task: 'Zebra refund alpha', assignTo: [`email:${ANA}`] })
    const b = await create({ task: 'Zebra refund beta', assignTo: [`email:${BEN}`] })
    const c = await create({ task: 'Zebra refund gamma', assignTo: [`email:${ANA}`] })
    const mine = await ana.req('GET', '/ui/api/checkpoints?q=zebra&assignee=me')
    expect(mine.body.items.map((i: { id: string }) => i.id)).toEqual([c.id, a.id])
    const page1 = await operator.req('GET', '/ui/api/checkpoints?q=zebra&limit=2')
    expect(page1.body.items.map((i: { id: string }) => i.id)).toEqual([c.id, b.id])
    const page2 = await operator.req('GET', `/ui/api/checkpoints?q=zebra&limit=2&cursor=${page1.body.nextCursor}`)
    expect(page2.body.items.map((i: { id: string }) => i.id)).toEqual([a.id])
    expect(page2.body.nextCursor).toBeNull()
    const byPerson = await operator.req('GET', '/ui/api/checkpoints?q=zebra&assignee=user:ben')
    expect(byPerson.body.items.map((i: { id: string }) => i.id)).toEqual([b.id])
    await hp.api('POST', `/v1/checkpoints/${b.id}/cancel`, {})
    const cancelled = await operator.req('GET', '/ui/api/checkpoints?q=zebra&state=cancelled')
    expect(cancelled.body.items.map((i: { id: string }) => i.id)).toEqual([b.id])
    const open = await operator.req('GET', '/ui/api/checkpoints?q=zebra&state=open')
    expect(open.body.items.map((i: { id: string }) => i.id)).toEqual([c.id, a.id])
  })

  it('opens one checkpoint from a channel grant link, acting as that recipient', async () => {
    const cp = await create({ notify: [`email:${ANA}`], assignTo: [`email:${ANA}`] })
    const other = await create({ notify: [`email:${ANA}`], assignTo: [`email:${ANA}`] })
    const link = mintDashboardLink({ keyring: new Keyring(hp.config.secretKeys), publicUrl: hp.url, checkpointId: cp.id, channel: 'email', handle: ANA, ttlSeconds: 600 })
    const visitor = new DashClient(hp.url)
    const opened = await visitor.req('GET', link.slice(hp.url.length))
    expect(opened.status).toBe(302)
    expect(opened.headers.get('location')).toBe(`/checkpoints/${cp.id}`)
    const session = await visitor.req('GET', '/ui/api/session')
    expect(session.body).toMatchObject({ kind: 'grant', onlyCheckpoint: cp.id })
    expect((await visitor.req('GET', `/ui/api/checkpoints/${other.id}`)).status).toBe(404)
    expect((await visitor.req('GET', '/ui/api/checkpoints')).status).toBe(403)
    const answered = await visitor.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 250 } })
    expect(answered.status).toBe(200)
    expect(answered.body.checkpoint.respondedBy).toMatchObject({ channel: 'email', actor: ANA })
    const forged = await new DashClient(hp.url).req('GET', `/checkpoints/${other.id}?grant=${encodeURIComponent(link.split('grant=')[1]!)}`)
    expect(forged.status).toBe(403)
  })
})

describe('answer in words', () => {
  it('proposes a typed answer from words without changing anything; CSRF and routing enforced; the confirmed answer goes through /answer', async () => {
    const cp = await create({ responseSchema: approvalSchema, assignTo: [`email:${ANA}`] })
    // Settled first (delivered), so a later version change can only come from the route.
    const before = await eventually(async () => {
      const got = await hp.api('GET', `/v1/checkpoints/${cp.id}`)
      return got.body.state === 'delivered' && got
    })
    const detail = await ana.req('GET', `/ui/api/checkpoints/${cp.id}`)
    expect(detail.body.freeText).toBe(true)
    expect(detail.body.verify).toBeNull()
    const entriesBefore = (await audit(cp.id)).length

    // Cross-site or without the session's CSRF token: refused before any model call.
    const calls = model.calls.length
    expect((await ana.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'yes, duplicate' }, { 'x-csrf-token': 'guess' })).status).toBe(403)
    expect((await ana.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'yes, duplicate' }, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await new DashClient(hp.url).req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'yes' })).status).toBe(401)
    // Cara sees it (the default notify is the dashboard) but may not answer it, so no proposal either.
    expect((await cara.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'yes' })).status).toBe(403)
    expect(model.calls.length).toBe(calls)
    expect((await ana.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: '   ' })).status).toBe(422)

    const proposed = await ana.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'Yes, approve it: it was a duplicate charge.' })
    expect(proposed.status).toBe(200)
    expect(proposed.body).toMatchObject({ checkpointId: cp.id, answer: { approved: true, note: 'duplicate charge' }, valid: true, problems: [], reason: 'You approve the refund.' })
    const unreadable = await ana.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'maybe, not sure' })
    expect(unreadable.body).toMatchObject({ answer: null, valid: false })

    // Nothing changed: same version, no claim, no answer, no audit entry.
    const after = await hp.api('GET', `/v1/checkpoints/${cp.id}`)
    expect(after.body).toMatchObject({ state: before.body.state, version: before.body.version, response: null, claimedBy: null })
    expect((await audit(cp.id)).length).toBe(entriesBefore)

    // Confirm = the ordinary answer path, validated again by the server.
    const answered = await ana.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: proposed.body.answer })
    expect(answered.status).toBe(200)
    expect(answered.body.checkpoint).toMatchObject({ state: 'resolved', response: { approved: true, note: 'duplicate charge' } })
    expect((await ana.req('POST', `/ui/api/checkpoints/${cp.id}/extract`, { text: 'no' })).status).toBe(409)
  })
})

describe('audit', () => {
  it('searches by actor, date and task, and exports CSV and JSONL with chain status', async () => {
    const cp = await create({ task: 'Audit me: refund for cus_77', assignTo: [`email:${ANA}`] })
    await ana.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 12 } })
    const today = new Date().toISOString().slice(0, 10)
    const found = await operator.req('GET', `/ui/api/audit?actor=ana&q=${encodeURIComponent('cus_77')}&from=${today}&to=${today}`)
    expect(found.status).toBe(200)
    expect(found.body.rows.map((r: { kind: string }) => r.kind)).toEqual(['answered'])
    expect(found.body.rows[0]).toMatchObject({ checkpointId: cp.id, chainIntact: true, actor: { actor: 'ana' } })
    const none = await operator.req('GET', `/ui/api/audit?q=cus_77&to=2001-01-01`)
    expect(none.body.rows).toEqual([])
    expect((await ana.req('GET', '/ui/api/audit')).status).toBe(403)

    const csv = await operator.req('GET', `/ui/api/audit/export?format=csv&q=cus_77`)
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/)
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="holdpoint-audit-.*\.csv"/)
    const lines = csv.text.trim().split('\r\n')
    expect(lines[0]).toBe('checkpoint_id,task,seq,at,kind,state,channel,actor,name,via,chain_intact,shown_hash,data')
    expect(lines.some((l) => l.startsWith(`${cp.id},Audit me: refund for cus_77,`) && l.includes(',answered,resolved,dashboard,ana,Ana Ruiz,'))).toBe(true)
    const jsonl = await operator.req('GET', `/ui/api/audit/export?format=jsonl&q=cus_77`)
    const rows = jsonl.text.trim().split('\n').map((l) => JSON.parse(l))
    expect(rows.map((r) => r.kind)).toContain('created')
    expect(rows.every((r) => r.checkpointId === cp.id && r.chainIntact === true)).toBe(true)
  })

  it('shows a tampered chain as broken', async () => {
    const cp = await create({ task: 'Tamper target', assignTo: [`email:${ANA}`] })
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.state === 'delivered')
    const key = `${hp.prefix}:audit:{${cp.id}}`
    const first = JSON.parse((await hp.redis.lindex(key, 0))!)
    first.a = 'api:mallory'
    await hp.redis.lset(key, 0, JSON.stringify(first))
    const detail = await operator.req('GET', `/ui/api/checkpoints/${cp.id}`)
    expect(detail.body.chain).toMatchObject({ intact: false, brokenAt: 0 })
  })
})
