import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { refundRequest, seedPeople, startDashboardHoldpoint, type DashClient } from '../dashboard/support.js'
import { deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { recordingChannel } from '../support/recording-channel.js'

const HOUR = 3_600_000
const ANA = 'ana@example.com'
const BOB = 'bob@example.com'
const answer = { approved: true, amountUsd: 10 }

// One clock for the whole deployment, moved forward to end the absence without waiting.
let offset = 0
const clock = () => Date.now() + offset

let hp: TestHoldpoint
let ana: DashClient
let bob: DashClient
let olga: DashClient
const email = recordingChannel('email')

beforeAll(async () => {
  const started = await startDashboardHoldpoint({ channels: [email], clock })
  hp = started.hp
  const seeded = await seedPeople(hp, started.setupToken, [
    { name: 'Ana', email: ANA },
    { name: 'Bob', email: BOB },
  ])
  olga = seeded.operator
  ana = seeded.clients[ANA]!
  bob = seeded.clients[BOB]!
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const create = async () => {
  const res = await hp.api('POST', '/v1/checkpoints', refundRequest({ notify: [`email:${ANA}`], assignTo: [`email:${ANA}`] }))
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body as { id: string }
}
const deliveredTo = (id: string) => email.calls.filter((c) => c.kind === 'deliver' && c.checkpointId === id).map((c) => c.recipient)

describe('away with a delegate', () => {
  it('validates the absence and lets an operator set and clear one for someone else', async () => {
    const now = clock()
    const backwards = await ana.req('PUT', '/ui/api/me/away', { from: new Date(now).toISOString(), to: new Date(now - HOUR).toISOString(), delegateTo: 'bob' })
    expect(backwards.status).toBe(422)
    const self = await ana.req('PUT', '/ui/api/me/away', { from: new Date(now).toISOString(), to: new Date(now + HOUR).toISOString(), delegateTo: 'ana' })
    expect(self.status).toBe(422)
    const nobody = await ana.req('PUT', '/ui/api/me/away', { from: new Date(now).toISOString(), to: new Date(now + HOUR).toISOString(), delegateTo: 'nobody' })
    expect(nobody.status).toBe(422)
    // A reviewer may not set it for someone else; an operator may.
    expect((await bob.req('PUT', '/ui/api/people/ana/away', { from: new Date(now).toISOString(), to: new Date(now + HOUR).toISOString(), delegateTo: 'bob' })).status).toBe(403)
    const byOperator = await olga.req('PUT', '/ui/api/people/ana/away', { from: new Date(now).toISOString(), to: new Date(now + HOUR).toISOString(), delegateTo: 'bob' })
    expect(byOperator.status).toBe(200)
    expect(byOperator.body.away).toMatchObject({ delegateTo: 'bob', delegateName: 'Bob', active: true, setBy: 'olga' })
    const mine = (await ana.req('GET', '/ui/api/me/away')).body
    expect(mine.away).toMatchObject({ delegateTo: 'bob', active: true })
    expect(mine.delegates.map((d: { id: string }) => d.id)).toEqual(expect.arrayContaining(['bob', 'olga']))
    expect(mine.delegates.map((d: { id: string }) => d.id)).not.toContain('ana')
    expect((await olga.req('DELETE', '/ui/api/people/ana/away')).status).toBe(204)
    expect((await ana.req('GET', '/ui/api/me/away')).body.away).toBeNull()
  })

  it('routes delivery and who may answer to the delegate while away, audited; nothing after the return', { timeout: 30_000 }, async () => {
    const now = clock()
    const set = await ana.req('PUT', '/ui/api/me/away', { from: new Date(now - HOUR).toISOString(), to: new Date(now + HOUR).toISOString(), delegateTo: 'bob' })
    expect(set.status, set.text).toBe(200)

    const during = await create()
    await eventually(async () => deliveredTo(during.id).length > 0)
    await new Promise((r) => setTimeout(r, 200))
    expect(deliveredTo(during.id)).toEqual([`email:${BOB}`])

    // Bob sees it as his and answers it on the dashboard.
    const inbox = await bob.req('GET', '/ui/api/checkpoints?assignee=me')
    expect(inbox.body.items.map((i: { id: string }) => i.id)).toContain(during.id)
    const answered = await bob.req('POST', `/ui/api/checkpoints/${during.id}/answer`, { response: answer })
    expect(answered.status, answered.text).toBe(200)
    const entries = (await hp.api('GET', `/v1/checkpoints/${during.id}/audit`)).body.entries as Array<{ kind: string; actor: { actor: string }; data?: Record<string, unknown> }>
    const entry = entries.find((e) => e.kind === 'answered')!
    expect(entry.actor.actor).toBe('bob')
    expect(entry.data?.delegatedFrom).toEqual(['ana'])

    // Ana is back: what Bob answered stays answered, and new work is Ana's alone again.
    offset += 2 * HOUR
    expect((await ana.req('GET', '/ui/api/me/away')).body.away).toMatchObject({ active: false })
    const after = await create()
    await eventually(async () => deliveredTo(after.id).length > 0)
    await new Promise((r) => setTimeout(r, 200))
    expect(deliveredTo(after.id)).toEqual([`email:${ANA}`])
    const refused = await bob.req('POST', `/ui/api/checkpoints/${after.id}/answer`, { response: answer })
    expect([403, 404]).toContain(refused.status)
    expect((await hp.api('GET', `/v1/checkpoints/${during.id}`)).body.state).toBe('resolved')
    const own = await ana.req('POST', `/ui/api/checkpoints/${after.id}/answer`, { response: answer })
    expect(own.status, own.text).toBe(200)
    const ownEntry = ((await hp.api('GET', `/v1/checkpoints/${after.id}/audit`)).body.entries as Array<{ kind: string; data?: Record<string, unknown> }>).find((e) => e.kind === 'answered')!
    expect(ownEntry.data?.delegatedFrom).toBeUndefined()
  })
})
