import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { DashClient, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'
import { FakePushService, vapidKeyPair, type FakeDevice } from './push-service.js'

/**
 * The push channel end to end: a running Holdpoint (server + workers, real Redis) pushes to
 * a local push service that checks VAPID and decrypts like a browser; the lock-screen
 * buttons answer through POST /push/act.
 */
let hp: TestHoldpoint
let service: FakePushService
let operator: DashClient
let ana: DashClient
let ben: DashClient
let cara: DashClient
let anaPhone: FakeDevice
const vapid = vapidKeyPair()
const approval = { type: 'object', properties: { approved: { type: 'boolean' }, note: { type: 'string' } }, required: ['approved'] }

async function subscribe(client: DashClient, device: FakeDevice) {
  const res = await client.req('POST', '/ui/api/push/subscriptions', { ...device.subscription, expirationTime: null }, { 'user-agent': 'Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile Safari/537.36' })
  expect(res.status, res.text).toBe(201)
  return res.body.device as { id: string }
}

async function ask(extra: Record<string, unknown>) {
  const res = await hp.api('POST', '/v1/checkpoints', { task: 'Deploy release 4.2 to production?', responseSchema: approval, ...extra })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

const act = (token: string, action: string, headers: Record<string, string> = {}) =>
  fetch(`${hp.url}/push/act`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token, action }) })

const requestFor = (device: FakeDevice, id: string) => eventually(async () => service.for(device, 'checkpoint.request').find((r) => r.payload.checkpointId === id))

beforeAll(async () => {
  service = await new FakePushService().start()
  let setupToken: string
  ;({ hp, setupToken } = await startDashboardHoldpoint({
    env: { HOLDPOINT_VAPID_PUBLIC_KEY: vapid.publicKey, HOLDPOINT_VAPID_PRIVATE_KEY: vapid.privateKey, HOLDPOINT_VAPID_SUBJECT: 'mailto:ops@example.com' },
  }))
  const seeded = await seedPeople(hp, setupToken, [
    { name: 'Ana', email: 'ana@example.com' },
    { name: 'Ben', email: 'ben@example.com' },
    { name: 'Cara', email: 'cara@example.com', groups: ['oncall'] },
  ])
  operator = seeded.operator
  ana = seeded.clients['ana@example.com']!
  ben = seeded.clients['ben@example.com']!
  cara = seeded.clients['cara@example.com']!
  anaPhone = service.device('ana-phone')
})

afterAll(async () => {
  await hp?.close()
  await service?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('subscriptions', () => {
  it('serves the VAPID key and registers a device behind the session and CSRF token', async () => {
    const key = await ana.req('GET', '/ui/api/push/key')
    expect(key.body).toEqual({ publicKey: vapid.publicKey })
    expect((await new DashClient(hp.url).req('GET', '/ui/api/push/key')).status).toBe(401)
    const noCsrf = await ana.req('POST', '/ui/api/push/subscriptions', anaPhone.subscription, { 'x-csrf-token': 'wrong' })
    expect(noCsrf.status).toBe(403)
    const crossSite = await ana.req('POST', '/ui/api/push/subscriptions', anaPhone.subscription, { origin: 'https://evil.example' })
    expect(crossSite.status).toBe(403)
    const bad = await ana.req('POST', '/ui/api/push/subscriptions', { endpoint: 'ftp://x', keys: anaPhone.subscription.keys })
    expect(bad.status).toBe(422)

    await subscribe(ana, anaPhone)
    const list = await ana.req('GET', '/ui/api/push/subscriptions')
    expect(list.body.devices).toHaveLength(1)
    expect(list.body.devices[0].label).toBe('Chrome on Android')
    // Neither the endpoint (a capability) nor the keys ever leave the server.
    expect(list.text).not.toContain(anaPhone.endpoint)
    expect(list.text).not.toContain(anaPhone.subscription.keys.auth)
    // Another person does not see Ana's devices.
    expect((await ben.req('GET', '/ui/api/push/subscriptions')).body.devices).toEqual([])
  })

  it('removes a device by endpoint or id, and only the person’s own', async () => {
    const laptop = service.device('ana-laptop')
    const added = await subscribe(ana, laptop)
    expect((await ben.req('DELETE', '/ui/api/push/subscriptions', { id: added.id })).status).toBe(404)
    expect((await ana.req('DELETE', '/ui/api/push/subscriptions', { endpoint: laptop.endpoint })).status).toBe(204)
    expect((await ana.req('DELETE', '/ui/api/push/subscriptions', { id: added.id })).status).toBe(404)
    expect((await ana.req('GET', '/ui/api/push/subscriptions')).body.devices).toHaveLength(1)
  })
})

describe('a request on the lock screen', () => {
  let id: string
  let token: string

  it('pushes an encrypted, VAPID-signed request with one-tap actions', async () => {
    id = await ask({ notify: ['push:ana@example.com'], assignTo: ['push:ana@example.com'] })
    const got = await requestFor(anaPhone, id)
    expect(service.refused).toEqual([])
    expect(got.headers.encoding).toBe('aes128gcm')
    expect(got.headers.urgency).toBe('high')
    expect(got.headers.topic).toMatch(/^[A-Za-z0-9_-]{1,32}$/)
    expect(Number(got.headers.ttl)).toBeGreaterThan(3600)
    expect(got.payload).toMatchObject({
      type: 'checkpoint.request',
      checkpointId: id,
      body: 'Deploy release 4.2 to production?',
      actions: [
        { action: 'a0', title: 'Approve' },
        { action: 'a1', title: 'Reject' },
      ],
    })
    expect(String(got.payload.url)).toContain(`/checkpoints/${id}?grant=`)
    token = String(got.payload.actToken)
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.deliveredTo.includes('push:ana@example.com'))
  })

  it('refuses forged tokens and unknown actions', async () => {
    const [body, kid, mac] = token.split('.') as [string, string, string]
    const forgedClaims = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), p: 'ben' })).toString('base64url')
    expect((await act(`${forgedClaims}.${kid}.${mac}`, 'a0')).status).toBe(403)
    expect((await act(`${body}.${kid}.${mac.slice(0, -2)}AA`, 'a0')).status).toBe(403)
    expect((await act(token, 'a7')).status).toBe(422)
    expect((await act(token, 'a0', { 'sec-fetch-site': 'cross-site' })).status).toBe(403)
    expect((await hp.api('GET', `/v1/checkpoints/${id}`)).body.state).not.toBe('resolved')
  })

  it('approves with one tap, audited on the push channel with the device', async () => {
    const res = await act(token, 'a0')
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ status: 'recorded', state: 'resolved', answer: 'Approve' })
    const cp = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
    expect(cp).toMatchObject({ state: 'resolved', response: { approved: true }, respondedBy: { channel: 'push', actor: 'ana' } })
    const audit = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body
    const answered = audit.entries.find((e: { kind: string }) => e.kind === 'answered')
    expect(answered.actor).toMatchObject({ channel: 'push', actor: 'ana' })
    expect(answered.data.device).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(JSON.stringify(audit)).not.toContain(token)
  })

  it('refuses the same token again', async () => {
    expect((await act(token, 'a1')).status).toBe(409)
    expect((await hp.api('GET', `/v1/checkpoints/${id}`)).body.response).toEqual({ approved: true })
  })

  it('closes the notification on the device once finished', async () => {
    const closed = await eventually(async () => service.for(anaPhone, 'checkpoint.closed').find((r) => r.payload.checkpointId === id))
    expect(closed.payload).toEqual({ type: 'checkpoint.closed', checkpointId: id, state: 'resolved' })
  })
})

describe('answered elsewhere', () => {
  it('pushes checkpoint.closed with the same topic, and the stale token gets 409', async () => {
    const id = await ask({ notify: ['push:ana'], assignTo: ['push:ana'] })
    const request = await requestFor(anaPhone, id)
    expect(request.payload.actions).toHaveLength(2)
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.deliveredTo.includes('push:ana'))
    const answered = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: false }, actor: 'ops-bot' })
    expect(answered.status).toBe(200)
    const closed = await eventually(async () => service.for(anaPhone, 'checkpoint.closed').find((r) => r.payload.checkpointId === id))
    expect(closed.payload).toEqual({ type: 'checkpoint.closed', checkpointId: id, state: 'resolved' })
    expect(closed.headers.topic).toBe(request.headers.topic)
    expect((await act(String(request.payload.actToken), 'a0')).status).toBe(409)
  })

  it('offers no buttons to someone who is only notified', async () => {
    const id = await ask({ notify: ['push:ana@example.com'], assignTo: ['email:someone@example.com'] })
    const got = await requestFor(anaPhone, id)
    expect(got.payload.actions).toBeUndefined()
    expect(got.payload.actToken).toBeUndefined()
  })

  it('offers no buttons when the answer needs a form', async () => {
    const id = await ask({
      notify: ['push:ana'],
      assignTo: ['push:ana'],
      responseSchema: { type: 'object', properties: { region: { type: 'string', enum: ['eu', 'us', 'ap'] } }, required: ['region'] },
    })
    expect((await requestFor(anaPhone, id)).payload.actions).toBeUndefined()
  })

  it('cuts a long task to fit the payload, never the ids or the token', async () => {
    const id = await ask({ task: `Check this: ${'é'.repeat(3900)}`, notify: ['push:ana'], assignTo: ['push:ana'] })
    const got = await requestFor(anaPhone, id)
    expect(Buffer.byteLength(JSON.stringify(got.payload))).toBeLessThanOrEqual(3 * 1024)
    expect(String(got.payload.body)).toMatch(/^Check this: é+…$/)
    expect(got.payload.checkpointId).toBe(id)
    expect(String(got.payload.actToken).split('.')).toHaveLength(3)
  })
})

describe('a push service that says no', () => {
  it('drops a device answering 410 and still reaches the others', async () => {
    const old = service.device('ben-old')
    const fresh = service.device('ben-new')
    await subscribe(ben, old)
    await subscribe(ben, fresh)
    service.answerNext(old, { status: 410 })
    const id = await ask({ notify: ['push:ben@example.com'] })
    await requestFor(fresh, id)
    const devices = await eventually(async () => {
      const list = (await ben.req('GET', '/ui/api/push/subscriptions')).body.devices as unknown[]
      return list.length === 1 ? list : null
    })
    expect(devices).toHaveLength(1)
    expect(service.for(old)).toEqual([])
  })

  it('retries after a 429 with Retry-After', async () => {
    const phone = service.device('cara-phone')
    await subscribe(cara, phone)
    service.answerNext(phone, { status: 429, headers: { 'retry-after': '1' } }, { status: 503 })
    const id = await ask({ notify: ['group:oncall'] })
    await eventually(() => requestFor(phone, id), 20_000)
    expect(service.refused.filter((r) => r.device === 'cara-phone').map((r) => r.status)).toEqual([429, 503])
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.deliveredTo.includes('push:cara'))
  })

  it('audits a person with no device as not reached', async () => {
    const id = await ask({ notify: ['push:olga'] })
    await eventually(async () => {
      const entries = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: { reason?: string } }>
      return entries.find((e) => e.kind === 'delivery.failed' && /no device/.test(e.data?.reason ?? ''))
    })
  })
})

describe('removing a person', () => {
  it('removes their devices', async () => {
    const people = (await operator.req('GET', '/ui/api/people')).body.people as Array<{ id: string; email: string }>
    const benId = people.find((p) => p.email === 'ben@example.com')!.id
    expect(await hp.redis.hlen(`${hp.prefix}:push:devices:${benId}`)).toBe(1)
    expect((await operator.req('DELETE', `/ui/api/people/${benId}`)).status).toBe(204)
    expect(await hp.redis.exists(`${hp.prefix}:push:devices:${benId}`)).toBe(0)
  })
})
