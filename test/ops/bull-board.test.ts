import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromium, type Browser } from 'playwright-core'
import { dashboardUiPlugin } from '../../http/dashboard/module.js'
import { bullBoardPlugin } from '../../ops/bull-board.js'
import { PLUGINS } from '../../ops/plugins.js'
import { queueNames, RESUME_QUEUE } from '../../plugins/queue-names.js'
import { DashClient, PASSWORD, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'
import { approvalSchema, deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

let hp: TestHoldpoint
let operator: DashClient
let reviewer: DashClient
let receiver: WebhookReceiver
let browser: Browser
// The agent's endpoint is gone (410) until it is back; then a retried resume goes through.
let agentBack = false

beforeAll(async () => {
  // The answering process's own first attempt meets a 503 and queues the job; the job meets the 410 and fails for good.
  receiver = await new WebhookReceiver((n) => (agentBack ? 200 : n === 1 ? 503 : 410)).start()
  const started = await startDashboardHoldpoint({ plugins: [bullBoardPlugin, dashboardUiPlugin] })
  hp = started.hp
  const people = await seedPeople(hp, started.setupToken, [{ name: 'Rita Reviewer', email: 'rita@example.com' }])
  operator = people.operator
  reviewer = people.clients['rita@example.com']!
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
})
afterAll(async () => {
  await browser.close()
  await hp.close()
  await receiver.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('Bull Board at /admin/queues', () => {
  it('sends anonymous visitors to the login page and refuses its API with 401', async () => {
    const page = await fetch(`${hp.url}/admin/queues`, { redirect: 'manual', headers: { accept: 'text/html' } })
    expect(page.status).toBe(302)
    expect(page.headers.get('location')).toBe('/login?next=%2Fadmin%2Fqueues')
    const api = await fetch(`${hp.url}/admin/queues/api/queues`)
    expect(api.status).toBe(401)
    const forged = await fetch(`${hp.url}/admin/queues/api/queues/resume/retry/failed`, { method: 'PUT', headers: { cookie: 'hp_session=forged' } })
    expect(forged.status).toBe(401)
  })

  it('lists every Holdpoint queue for operators, read-only for reviewers', async () => {
    const full = await operator.req('GET', '/admin/queues/api/queues')
    expect(full.status).toBe(200)
    const names = (full.body.queues as Array<{ name: string; readOnlyMode: boolean }>).map((q) => q.name)
    expect(names.sort()).toEqual(queueNames(PLUGINS).sort())
    expect(full.body.queues.every((q: { readOnlyMode: boolean }) => !q.readOnlyMode)).toBe(true)
    const readOnly = await reviewer.req('GET', '/admin/queues/api/queues')
    expect(readOnly.status).toBe(200)
    expect(readOnly.body.queues.every((q: { readOnlyMode: boolean }) => q.readOnlyMode)).toBe(true)
    const refused = await reviewer.req('PUT', `/admin/queues/api/queues/${RESUME_QUEUE}/retry/failed`)
    expect(refused.status).toBe(403)
    const crossSite = await operator.req('PUT', `/admin/queues/api/queues/${RESUME_QUEUE}/retry/failed`, undefined, { 'sec-fetch-site': 'cross-site' })
    expect(crossSite.status).toBe(403)
  })

  it('retries a dead resume: the agent is resumed under the same webhook-id', async () => {
    const cp = (await hp.api('POST', '/v1/checkpoints', { task: 'refund?', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })).body
    expect((await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    const audit = async () => ((await hp.api('GET', `/v1/checkpoints/${cp.id}/audit`)).body.entries as Array<{ kind: string }>).map((e) => e.kind)
    await eventually(async () => (await audit()).includes('resume.failed'))
    const failed = await operator.req('GET', `/admin/queues/api/queues?activeQueue=${RESUME_QUEUE}&status=failed&page=1`)
    const resumeQueue = (failed.body.queues as Array<{ name: string; jobs: Array<{ id: string }> }>).find((q) => q.name === RESUME_QUEUE)!
    const job = resumeQueue.jobs.find((j) => j.id.startsWith(cp.id))!
    expect(job).toBeDefined()

    agentBack = true
    const retried = await operator.req('PUT', `/admin/queues/api/queues/${RESUME_QUEUE}/${encodeURIComponent(job.id)}/retry`)
    expect(retried.status).toBeLessThan(300)
    await eventually(async () => (await audit()).includes('resumed'))
    expect(receiver.received).toHaveLength(3)
    expect(new Set(receiver.received.map((h) => h.headers['webhook-id']))).toEqual(new Set([`msg_${cp.id}`]))
  })

  it('renders in Chromium for a signed-in operator', async () => {
    const context = await browser.newContext()
    try {
      const page = await context.newPage()
      await page.goto(`${hp.url}/admin/queues`)
      expect(new URL(page.url()).pathname).toBe('/login')
      const session = new DashClient(hp.url)
      expect((await session.login('olga@example.com', PASSWORD)).status).toBe(200)
      await context.addCookies([{ name: 'hp_session', value: session.cookie.split('=')[1]!, url: hp.url }])
      await page.goto(`${hp.url}/admin/queues`)
      await page.getByText('Holdpoint queues').first().waitFor({ timeout: 15_000 })
      for (const name of ['checkpoints', 'timers', RESUME_QUEUE, 'deliver-dashboard', 'slack-interactions']) {
        await page.getByText(name, { exact: true }).first().waitFor({ timeout: 10_000 })
      }
    } finally {
      await context.close()
    }
  })
})
