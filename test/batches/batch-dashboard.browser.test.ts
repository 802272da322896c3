import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { PASSWORD, refundSchema, requireBuiltUi, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'
import type { DashClient } from '../dashboard/support.js'

/**
 * A batch of 20 from one agent run, decided with one click in real Chromium: each item is
 * answered through Engine.answer on its own (its own audit entry) and resumes its agent
 * once; an item whose schema needs more than a click stays pending with the reason shown.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
const ANA = 'ana@example.com'
const BATCH = { id: 'run-7', title: 'Refunds from nightly run 7' }

let hp: TestHoldpoint
let browser: Browser
let receiver: WebhookReceiver
let ana: DashClient

beforeAll(async () => {
  requireBuiltUi()
  receiver = await new WebhookReceiver().start()
  const started = await startDashboardHoldpoint()
  hp = started.hp
  const { clients } = await seedPeople(hp, started.setupToken, [{ name: 'Ana Reviewer', email: ANA }])
  const client: DashClient | undefined = clients[ANA]
  if (!client) throw new Error('Ana was not seeded')
  ana = client
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
})

afterAll(async () => {
  await browser?.close()
  await hp?.close()
  await receiver?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

const create = async (body: Record<string, unknown>): Promise<{ id: string }> => {
  const res = await hp.api('POST', '/v1/checkpoints', { notify: [`email:${ANA}`], resume: { webhook: { url: receiver.url } }, batch: BATCH, ...body })
  expect(res.status).toBe(201)
  return res.body
}

async function signIn(page: Page, login: string) {
  await page.goto(`${hp.url}/`)
  await page.waitForURL(/\/login/)
  await page.getByLabel('Email or username').fill(login)
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Inbox' }).waitFor()
}

describe('a batch in the dashboard', () => {
  it('shows as one inbox row; Approve all answers each fitting item once and leaves the rest pending with the reason', async () => {
    const items: string[] = []
    for (let i = 1; i <= 20; i++) items.push((await create({ task: `Refund order #${i}?`, responseSchema: approvalSchema, payload: { order: i } })).id)
    const needsForm = await create({ task: 'Refund with an amount?', responseSchema: refundSchema })
    const alone = await hp.api('POST', '/v1/checkpoints', { task: 'Not in a batch', responseSchema: approvalSchema, notify: [`email:${ANA}`] })
    expect(alone.status).toBe(201)

    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } })
    const page = await context.newPage()
    page.setDefaultTimeout(15_000)
    try {
      await signIn(page, ANA)
      const batchRow = page.locator('li.batch-row')
      await batchRow.waitFor()
      expect(await batchRow.count()).toBe(1)
      expect(await batchRow.locator('.row-task').textContent()).toBe(BATCH.title)
      expect(await batchRow.locator('.batch-count').textContent()).toBe('21 open items')
      // The batch's members are folded into its row; the unbatched one is a row of its own.
      await page.locator(`li[data-id="${alone.body.id}"]`).waitFor()
      expect(await page.locator('ul.rows > li').count()).toBe(2)

      // A second tab stays on the inbox: its batch row follows the answers live.
      const watcher = await context.newPage()
      watcher.setDefaultTimeout(15_000)
      await watcher.goto(`${hp.url}/`)
      await watcher.locator('li.batch-row .batch-count').filter({ hasText: '21 open items' }).waitFor()

      await batchRow.locator('.row-task').click()
      await page.getByRole('heading', { name: BATCH.title }).waitFor()
      expect(await page.locator('ul[aria-label="Batch items"] > li').count()).toBe(21)
      await page.getByRole('button', { name: 'Approve all (20)' }).click()
      await page.getByRole('status').filter({ hasText: '20 of 20 answered' }).waitFor()

      const formRow = page.locator(`li[data-id="${needsForm.id}"]`)
      expect(await formRow.locator('.item-reason').textContent()).toContain('needs more than one click')
      expect(await formRow.locator('.badge').textContent()).not.toMatch(/resolved/i)

      await watcher.locator('li.batch-row .batch-count').filter({ hasText: '1 open item' }).waitFor()
      expect(await watcher.locator('li.batch-row').count()).toBe(1)

      // Back in the inbox the batch row now counts only what is left.
      await page.getByRole('link', { name: '← Inbox' }).click()
      await page.locator('li.batch-row .batch-count').filter({ hasText: '1 open item' }).waitFor()
    } finally {
      await context.close()
    }

    for (const id of items) {
      const cp = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
      expect(cp).toMatchObject({ state: 'resolved', response: { approved: true }, respondedBy: { channel: 'dashboard' } })
      const audit = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body
      const answered = audit.entries.filter((e: { kind: string }) => e.kind === 'answered')
      expect(answered).toHaveLength(1)
      expect(answered[0].data).toMatchObject({ via: 'dashboard', batch: BATCH.id })
      expect(audit.chain.intact).toBe(true)
    }
    expect((await hp.api('GET', `/v1/checkpoints/${needsForm.id}`)).body.state).not.toBe('resolved')

    // Each approved item resumes its agent exactly once (one webhook-id per checkpoint).
    await eventually(async () => items.every((id) => receiver.received.some((h) => h.headers['webhook-id'] === `msg_${id}`)), 20_000)
    await new Promise((r) => setTimeout(r, 500))
    for (const id of items) expect(receiver.received.filter((h) => h.headers['webhook-id'] === `msg_${id}`)).toHaveLength(1)
    expect(receiver.received.some((h) => h.headers['webhook-id'] === `msg_${needsForm.id}`)).toBe(false)
  })

  it('the batch answer route validates each item on its own: an invalid one stays pending with its error', async () => {
    const good = await create({ task: 'Good one', responseSchema: approvalSchema })
    const bad = await create({ task: 'Bad one', responseSchema: refundSchema })
    const res = await ana.req('POST', `/ui/api/batches/${good.id}/answers`, {
      items: [
        { id: good.id, response: { approved: false } },
        { id: bad.id, response: { approved: true } },
      ],
    })
    expect(res.status).toBe(200)
    expect(res.body.items[0]).toMatchObject({ id: good.id, status: 200, state: 'resolved' })
    expect(res.body.items[1]).toMatchObject({ id: bad.id, status: 422, code: 'invalid_response' })
    expect(res.body.items[1].errors.length).toBeGreaterThan(0)
    expect((await hp.api('GET', `/v1/checkpoints/${bad.id}`)).body.state).not.toBe('resolved')
    const audit = (await hp.api('GET', `/v1/checkpoints/${bad.id}/audit`)).body
    expect(audit.entries.map((e: { kind: string }) => e.kind)).toContain('refused')

    // A checkpoint outside the batch is "not found" here, and is left alone.
    const outsider = await hp.api('POST', '/v1/checkpoints', { task: 'Elsewhere', responseSchema: approvalSchema, notify: [`email:${ANA}`] })
    const other = await ana.req('POST', `/ui/api/batches/${good.id}/answers`, { items: [{ id: outsider.body.id, response: { approved: true } }] })
    expect(other.body.items[0]).toMatchObject({ status: 404 })
    expect((await hp.api('GET', `/v1/checkpoints/${outsider.body.id}`)).body.state).not.toBe('resolved')
  })
})
