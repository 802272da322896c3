import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import type { DashClient} from '../dashboard/support.js';
import { PASSWORD, requireBuiltUi, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'
import { FakePushService, vapidKeyPair, type FakeDevice } from './push-service.js'

/**
 * The service worker in real headless Chromium. Headless Chromium cannot subscribe to a real
 * push service offline, so the server pushes to the local push service (which decrypts like
 * a browser), and the decrypted payload is handed to the page's service worker through the
 * DevTools protocol (`ServiceWorker.deliverPushMessage`, which delivers it as plain text).
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const approval = { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] }

let hp: TestHoldpoint
let service: FakePushService
let browser: Browser
let context: BrowserContext
let page: Page
let cdp: CDPSession
let registrationId = ''
let relay: FakeDevice
let ana: DashClient
const vapid = vapidKeyPair()

interface Shown {
  title: string
  body: string
  tag: string
  actions: Array<{ action: string; title: string }>
}

const notifications = (tag?: string) =>
  page.evaluate(async (t) => {
    const reg = await navigator.serviceWorker.ready
    const found = await reg.getNotifications(t === undefined ? undefined : { tag: t })
    return found.map((n) => ({ title: n.title, body: n.body, tag: n.tag, actions: [...((n as unknown as { actions?: Array<{ action: string; title: string }> }).actions ?? [])] }))
  }, tag) as Promise<Shown[]>

/** What the server pushed for this checkpoint, as a browser would have decrypted it. */
async function pushed(id: string, type: string): Promise<string> {
  const got = await eventually(async () => service.for(relay, type).find((r) => r.payload.checkpointId === id), 20_000)
  return JSON.stringify(got.payload)
}

async function deliverToWorker(data: string) {
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: hp.url, registrationId, data })
}

beforeAll(async () => {
  requireBuiltUi()
  service = await new FakePushService().start()
  let setupToken: string
  ;({ hp, setupToken } = await startDashboardHoldpoint({
    env: { HOLDPOINT_VAPID_PUBLIC_KEY: vapid.publicKey, HOLDPOINT_VAPID_PRIVATE_KEY: vapid.privateKey, HOLDPOINT_VAPID_SUBJECT: 'mailto:ops@example.com' },
  }))
  ana = (await seedPeople(hp, setupToken, [{ name: 'Ana', email: 'ana@example.com' }])).clients['ana@example.com']!
  relay = service.device('ana-relay')
  expect((await ana.req('POST', '/ui/api/push/subscriptions', relay.subscription)).status).toBe(201)
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
  context = await browser.newContext()
  await context.grantPermissions(['notifications'], { origin: hp.url })
  page = await context.newPage()
  page.setDefaultTimeout(10_000)
})

afterAll(async () => {
  await context?.close().catch(() => undefined)
  await browser?.close()
  await hp?.close()
  await service?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('the service worker in Chromium', () => {
  it('is installable: manifest, icons and a service worker at the root', async () => {
    const manifest = await (await fetch(`${hp.url}/manifest.webmanifest`)).json()
    expect(manifest).toMatchObject({ display: 'standalone', start_url: '/', scope: '/' })
    for (const icon of manifest.icons as Array<{ src: string }>) expect((await fetch(hp.url + icon.src)).headers.get('content-type')).toBe('image/png')
    const sw = await fetch(`${hp.url}/sw.js`)
    expect(sw.headers.get('content-type')).toMatch(/javascript/)
    expect(sw.headers.get('cache-control')).toBe('no-store')
  })

  it('the Account page registers the worker and lists the person’s devices', async () => {
    await page.goto(`${hp.url}/`)
    await page.waitForURL(/\/login/)
    await page.getByLabel('Email or username').fill('ana@example.com')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Inbox' }).waitFor()
    await page.goto(`${hp.url}/account`)
    await page.getByRole('heading', { name: 'Notifications on your devices' }).waitFor()
    await page.getByRole('button', { name: 'Notify me on this device' }).waitFor()
    await page.getByRole('list', { name: 'Your devices' }).getByText('Browser on another system').waitFor()

    cdp = await context.newCDPSession(page)
    const registered = new Promise<string>((resolve) => {
      cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> }) => {
        const mine = e.registrations.find((r) => r.scopeURL === `${hp.url}/` && !r.isDeleted)
        if (mine) resolve(mine.registrationId)
      })
    })
    await cdp.send('ServiceWorker.enable')
    registrationId = await registered
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready
    })
  })

  it('shows a pushed request with its one-tap actions, and a tap answers through /push/act', { timeout: 90_000 }, async () => {
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'Rotate the production database password?', responseSchema: approval, notify: ['push:ana'], assignTo: ['push:ana'] })
    const id = String(created.body.id)
    await deliverToWorker(await pushed(id, 'checkpoint.request'))
    // Generous: a loaded machine (the whole suite on two cores) slows the service worker down.
    const [shown] = await eventually(async () => {
      const found = await notifications(id)
      return found.length === 1 ? found : null
    }, 20_000)
    expect(shown).toMatchObject({
      title: 'Holdpoint: your decision is needed',
      body: 'Rotate the production database password?',
      tag: id,
      actions: [
        { action: 'a0', title: 'Approve' },
        { action: 'a1', title: 'Reject' },
      ],
    })

    await page.evaluate(async (tag) => {
      const reg = await navigator.serviceWorker.ready
      reg.active?.postMessage({ type: 'test:notificationclick', tag, action: 'a1' })
    }, id)
    const cp = await eventually(async () => {
      const body = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
      return body.state === 'resolved' ? body : null
    })
    expect(cp).toMatchObject({ response: { approved: false }, respondedBy: { channel: 'push', actor: 'ana' } })
    expect(await notifications(id)).toEqual([])
  })

  it('closes the notification when the checkpoint is answered elsewhere', { timeout: 90_000 }, async () => {
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'Ship the hotfix?', responseSchema: approval, notify: ['push:ana@example.com'], assignTo: ['email:someone@example.com'] })
    const id = String(created.body.id)
    await deliverToWorker(await pushed(id, 'checkpoint.request'))
    await eventually(async () => (await notifications(id)).length === 1, 20_000)
    // Only notified, not assigned: the notification opens the page instead of answering.
    expect((await notifications(id))[0]?.actions).toEqual([])
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.deliveredTo.length > 0)
    expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ops-bot' })).status).toBe(200)
    await deliverToWorker(await pushed(id, 'checkpoint.closed'))
    await eventually(async () => (await notifications(id)).length === 0, 20_000)
  })
})
