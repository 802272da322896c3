import { tmpdir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { mkdir, readFile } from 'node:fs/promises'
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import type { VerifierFunction } from '../../verify/verifier.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { FakeAnthropic } from '../support/fake-anthropic.js'
import { policyBrain } from '../verify/policy-brain.js'
import { DashClient, inertEmailChannel, PASSWORD, refundRequest, requireBuiltUi, seedPeople, startDashboardHoldpoint } from './support.js'

/**
 * The dashboard in real headless Chromium against a running Holdpoint (server + workers) on
 * the real Redis, plus a second server process on the same deployment to show that live
 * updates travel through Redis pub/sub. One browser for the file; one context per person.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']
// The README's screenshots are refreshed on request (HOLDPOINT_SCREENSHOTS=1), so an ordinary
// test run leaves the working tree clean.
const SCREENSHOTS = process.env.HOLDPOINT_SCREENSHOTS === '1' ? new URL('../../docs/img/', import.meta.url) : pathToFileURL(`${tmpdir()}/`)


/** Playwright's web-first assertions are not in vitest's expect; these wait the same way. */
const shown = (locator: Locator) => locator.waitFor({ state: 'visible' })
const containsText = (locator: Locator, text: string) => locator.filter({ hasText: text }).first().waitFor({ state: 'visible' })
const hasExactText = (locator: Locator, text: string) => eventually(async () => (await locator.textContent())?.trim() === text, 10_000)
const absent = (locator: Locator) => eventually(async () => (await locator.count()) === 0, 10_000)

let hp: TestHoldpoint
let other: TestHoldpoint
let setupToken: string
let browser: Browser
let receiver: WebhookReceiver
const contexts: BrowserContext[] = []
let operatorPage: Page
let anaPage: Page
let benPage: Page
let caraPage: Page

/**
 * A local function verifier: it sends the first attempt back, and passes the next. The first
 * verdict waits for the test to open the gate, so "being verified" can be seen on the page.
 */
const SENT_BACK_REASON = 'The note must name the duplicate charge.'
let openGate: () => void = () => undefined
const gate = new Promise<void>((resolve) => (openGate = resolve))
const sendBackOnce: VerifierFunction = async (input) => {
  if (input.attempt > 1) return { passed: true, reason: 'The note names the charge.' }
  await gate
  return { passed: false, reason: SENT_BACK_REASON }
}

beforeAll(async () => {
  requireBuiltUi()
  receiver = await new WebhookReceiver().start()
  ;({ hp, setupToken } = await startDashboardHoldpoint({ verifiers: { sendBackOnce } }))
  other = await startHoldpoint({ env: hp.env, worker: false, channels: [inertEmailChannel] })
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
  await mkdir(SCREENSHOTS, { recursive: true })
})

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  await other?.close()
  await hp?.close()
  await receiver?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

async function newPage(viewport = { width: 1280, height: 860 }): Promise<Page> {
  const context = await browser.newContext({ viewport, acceptDownloads: true })
  contexts.push(context)
  const page = await context.newPage()
  page.setDefaultTimeout(10_000)
  return page
}

async function signIn(page: Page, login: string, password = PASSWORD) {
  await page.goto(`${hp.url}/`)
  await page.waitForURL(/\/login/)
  await page.getByLabel('Email or username').fill(login)
  await page.getByLabel('Password').fill(password)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Inbox' }).waitFor()
}

async function create(body: Record<string, unknown>, via: TestHoldpoint = hp): Promise<{ id: string }> {
  const res = await via.api('POST', '/v1/checkpoints', body)
  expect(res.status).toBe(201)
  return res.body
}

describe('the dashboard in Chromium', () => {
  it('first run: the printed setup link lets the first operator choose a password, then sign in', async () => {
    operatorPage = await newPage()
    await operatorPage.goto(`${hp.url}/`)
    await operatorPage.waitForURL(/\/login\?next=%2F$/)
    await operatorPage.goto(`${hp.url}/setup/${setupToken}`)
    await operatorPage.getByLabel('Your name').fill('Olga Operator')
    await operatorPage.getByLabel('Email').fill('olga@example.com')
    await operatorPage.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await operatorPage.getByLabel('Confirm password').fill(PASSWORD)
    await operatorPage.getByRole('button', { name: 'Create operator account' }).click()
    await operatorPage.getByRole('heading', { name: 'Inbox' }).waitFor()

    await operatorPage.getByRole('button', { name: 'Sign out' }).click()
    await operatorPage.waitForURL(/\/login$/)
    await operatorPage.getByLabel('Email or username').fill('olga@example.com')
    await operatorPage.getByLabel('Password').fill('not the password')
    await operatorPage.getByRole('button', { name: 'Sign in' }).click()
    await operatorPage.getByRole('alert').filter({ hasText: 'do not match' }).waitFor()
    await operatorPage.getByLabel('Password').fill(PASSWORD)
    await operatorPage.getByRole('button', { name: 'Sign in' }).click()
    await operatorPage.getByRole('heading', { name: 'Inbox' }).waitFor()
    await shown(operatorPage.getByRole('link', { name: 'People' }))
  })

  it('an operator adds reviewers; an invite link lets a reviewer choose a password', async () => {
    await operatorPage.getByRole('link', { name: 'People' }).click()
    const invites: Record<string, string> = {}
    for (const [name, email, groups] of [
      ['Ana Ruiz', 'ana@example.com', 'finance'],
      ['Ben Okafor', 'ben@example.com', 'finance'],
      ['Cara Lind', 'cara@example.com', 'support'],
    ] as const) {
      await operatorPage.getByLabel('Name', { exact: true }).fill(name)
      await operatorPage.getByLabel('Email').fill(email)
      await operatorPage.getByLabel('Groups').fill(groups)
      await operatorPage.getByRole('button', { name: 'Add person' }).click()
      const link = operatorPage.getByLabel(`Invite link for ${name}`, { exact: true })
      await link.waitFor()
      invites[email] = await link.inputValue()
    }
    await shown(operatorPage.getByRole('heading', { name: 'Everyone (4)' }))

    anaPage = await newPage()
    await anaPage.goto(invites['ana@example.com']!)
    await anaPage.getByRole('heading', { name: 'Choose your password' }).waitFor()
    await anaPage.getByLabel('Password', { exact: true }).fill(PASSWORD)
    await anaPage.getByLabel('Confirm password').fill(PASSWORD)
    await anaPage.getByRole('button', { name: 'Set password and sign in' }).click()
    await anaPage.getByRole('heading', { name: 'Inbox' }).waitFor()
    // An invite works once.
    const reuse = await newPage()
    await reuse.goto(invites['ana@example.com']!)
    await reuse.getByRole('alert').filter({ hasText: 'already used' }).waitFor()

    for (const email of ['ben@example.com', 'cara@example.com']) {
      const client = new DashClient(hp.url)
      expect((await client.req('POST', '/ui/api/setup', { token: invites[email]!.split('/setup/')[1], password: PASSWORD })).status).toBe(200)
    }
    benPage = await newPage()
    await signIn(benPage, 'ben@example.com')
    caraPage = await newPage({ width: 390, height: 844 })
    await signIn(caraPage, 'cara@example.com')
  })

  it('a checkpoint created over the API appears live in the inbox, via another server process', async () => {
    await anaPage.evaluate(() => ((window as unknown as { marker: string }).marker = 'no reload'))
    await anaPage.locator('.live-live').waitFor()
    await create(refundRequest({ task: 'Refund $40 to cus_11 for a late delivery?', assignTo: ['email:ana@example.com'] }), other)
    await create(refundRequest({ task: 'Issue store credit of $15 to cus_19?', assignTo: ['email:ben@example.com'] }), other)
    const cp = await create(refundRequest({ task: 'Approve a $250 refund for cus_42?', assignTo: ['email:ana@example.com', 'email:ben@example.com'] }), other)
    const row = anaPage.locator(`li[data-id="${cp.id}"]`)
    await row.waitFor()
    await containsText(row, 'Approve a $250 refund for cus_42?')
    expect(await anaPage.evaluate(() => (window as unknown as { marker?: string }).marker)).toBe('no reload')
    await eventually(async () => (await anaPage.locator('.rows > li').count()) === 3)
    await anaPage.locator(`li[data-id="${cp.id}"] .badge`).filter({ hasText: 'Waiting' }).waitFor()
    await anaPage.screenshot({ path: new URL('inbox.png', SCREENSHOTS).pathname })
  })

  it('claim by one reviewer: a second reviewer sees it claimed, live', async () => {
    const cp = await create(
      refundRequest({ task: 'Refund duplicate charge ch_2 for cus_42?', assignTo: ['email:ana@example.com', 'email:ben@example.com'], resume: { webhook: { url: receiver.url } } }),
    )
    await anaPage.goto(`${hp.url}/checkpoints/${cp.id}`)
    await benPage.goto(`${hp.url}/checkpoints/${cp.id}`)
    await benPage.getByRole('button', { name: 'Claim' }).waitFor()
    await anaPage.getByRole('button', { name: 'Claim' }).click()
    await hasExactText(anaPage.locator('.claim-holder'), 'You')
    await hasExactText(benPage.locator('.claim-holder'), 'Ana Ruiz (dashboard)')
    await shown(benPage.getByText('Ana Ruiz has claimed this checkpoint.'))
    await absent(benPage.getByRole('button', { name: 'Submit answer' }))
    await absent(benPage.getByRole('button', { name: 'Claim' }))
    ;(globalThis as { claimedId?: string }).claimedId = cp.id
  })

  it('an invalid answer shows the server’s error next to the field and changes nothing', async () => {
    const id = (globalThis as { claimedId?: string }).claimedId!
    await anaPage.getByLabel('Yes').check()
    await anaPage.getByLabel('Amount to refund (USD)').fill('900')
    await anaPage.getByRole('button', { name: 'Submit answer' }).click()
    const field = anaPage.locator('.form-group.has-error').filter({ has: anaPage.getByLabel('Amount to refund (USD)') })
    await containsText(field, 'must be <= 250')
    await containsText(anaPage.getByRole('alert'), 'Please correct the highlighted fields.')
    const after = await hp.api('GET', `/v1/checkpoints/${id}`)
    expect(after.body).toMatchObject({ state: 'claimed', response: null })
    await anaPage.locator('.tl-refused').waitFor()
  })

  it('a valid answer resolves the checkpoint and fires the resume webhook', async () => {
    const id = (globalThis as { claimedId?: string }).claimedId!
    await anaPage.getByLabel('Amount to refund (USD)').fill('250')
    await anaPage.getByLabel('Reason').selectOption('duplicate')
    await anaPage.getByLabel('Note for the customer').fill('Refunded the duplicate charge ch_2.')
    await anaPage.getByRole('heading', { name: 'Timeline' }).scrollIntoViewIfNeeded()
    await anaPage.evaluate(() => window.scrollTo(0, 0))
    await anaPage.screenshot({ path: new URL('checkpoint.png', SCREENSHOTS).pathname, fullPage: true })
    await anaPage.getByRole('button', { name: 'Submit answer' }).click()
    await anaPage.getByRole('heading', { name: 'Outcome' }).waitFor()
    await containsText(anaPage.locator('.outcome'), 'Answered by Ana Ruiz (dashboard)')
    await shown(benPage.getByRole('heading', { name: 'Outcome' }))
    const hook = await eventually(async () => receiver.received.find((h) => h.body.includes(id)))
    const body = JSON.parse(hook.body)
    expect(body).toMatchObject({
      type: 'checkpoint.resolved',
      data: { checkpointId: id, state: 'resolved', response: { approved: true, amountUsd: 250, reason: 'duplicate' }, respondedBy: { channel: 'dashboard', actor: 'ana', name: 'Ana Ruiz' } },
    })
    expect(hook.headers['webhook-signature']).toMatch(/^v1,/)
    await anaPage.locator('.tl-resumed').waitFor()
  })

  it('verification: "being verified" without a form, then the verifier’s reason next to the form, then a second answer passes', async () => {
    const schema = {
      type: 'object',
      properties: { approved: { type: 'boolean', title: 'Approve the refund?' }, note: { type: 'string', title: 'Note', maxLength: 500 } },
      required: ['approved'],
      additionalProperties: false,
    }
    const cp = await create({
      task: 'Verified: refund $60 to cus_7?',
      payload: { amountUsd: 60 },
      responseSchema: schema,
      assignTo: ['email:ana@example.com'],
      verify: { provider: 'function:sendBackOnce', instructions: 'The note must name the duplicate charge.', maxAttempts: 3 },
    })
    await anaPage.goto(`${hp.url}/checkpoints/${cp.id}`)
    // No model is configured on this deployment, so "Answer in words" is not offered.
    await anaPage.getByRole('button', { name: 'Submit answer' }).waitFor()
    await absent(anaPage.getByLabel('Answer in words'))
    await anaPage.getByLabel('Yes').check()
    await anaPage.getByLabel('Note').fill('ok')
    await anaPage.getByRole('button', { name: 'Submit answer' }).click()

    await shown(anaPage.getByRole('heading', { name: 'Being verified' }))
    await containsText(anaPage.locator('.verifying'), 'is being checked by the verifier')
    await absent(anaPage.getByRole('button', { name: 'Submit answer' }))
    expect((await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.state).toBe('verifying')

    openGate()
    // Live: the verdict comes back through the change feed, no reload.
    await containsText(anaPage.locator('.sent-back'), `Sent back: ${SENT_BACK_REASON} — attempt 1 of 3`)
    await shown(anaPage.getByRole('button', { name: 'Submit answer' }))
    expect((await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body).toMatchObject({ state: 'claimed', verification: { passed: false, reason: SENT_BACK_REASON, attempts: 1 } })

    await anaPage.getByLabel('Yes').check()
    await anaPage.getByLabel('Note').fill('Duplicate charge ch_2')
    await anaPage.getByRole('button', { name: 'Submit answer' }).click()
    await anaPage.getByRole('heading', { name: 'Outcome' }).waitFor()
    await anaPage.locator('.outcome .badge').filter({ hasText: 'Resolved' }).waitFor()
    await absent(anaPage.locator('.sent-back'))
    await anaPage.locator('.tl-verified').first().waitFor()
  })

  it('a reviewer cannot see or answer a checkpoint not routed to them (UI and API)', async () => {
    const cp = await create(refundRequest({ task: 'Secret: refund for cus_99', notify: ['email:ana@example.com'], assignTo: ['email:ana@example.com'] }))
    await caraPage.goto(`${hp.url}/?state=`)
    await caraPage.getByRole('heading', { name: 'Inbox' }).waitFor()
    await caraPage.locator('.rows > li').first().waitFor()
    await absent(caraPage.getByText('Secret: refund for cus_99'))
    await caraPage.goto(`${hp.url}/checkpoints/${cp.id}`)
    await caraPage.getByRole('heading', { name: 'Checkpoint not found' }).waitFor()

    const cara = new DashClient(hp.url)
    await cara.login('cara@example.com', PASSWORD)
    expect((await cara.req('GET', `/ui/api/checkpoints/${cp.id}`)).status).toBe(404)
    expect((await cara.req('POST', `/ui/api/checkpoints/${cp.id}/answer`, { response: { approved: true, amountUsd: 1 } })).status).toBe(404)
    expect((await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.response).toBeNull()
  })

  it('the operator searches the audit and exports it as CSV and JSONL', async () => {
    await operatorPage.getByRole('link', { name: 'Audit' }).click()
    await operatorPage.getByLabel('Actor').fill('ana')
    await operatorPage.getByRole('button', { name: 'Search' }).click()
    const table = operatorPage.locator('.audit-table')
    await containsText(table, 'Answered')
    await containsText(table, 'Refund duplicate charge ch_2 for cus_42?')
    for (const [label, check] of [
      ['Export CSV', (text: string) => text.startsWith('checkpoint_id,task,seq,at,kind') && text.includes(',answered,resolved,dashboard,ana,Ana Ruiz,')],
      ['Export JSONL', (text: string) => text.trim().split('\n').every((l) => JSON.parse(l).actor.actor.includes('ana'))],
    ] as const) {
      const [download] = await Promise.all([operatorPage.waitForEvent('download'), operatorPage.getByRole('link', { name: label }).click()])
      const text = await readFile(await download.path(), 'utf8')
      expect(check(text)).toBe(true)
    }
  })
})

describe('answer in words, with a model configured', () => {
  let model: FakeAnthropic
  let withModel: TestHoldpoint

  beforeAll(async () => {
    model = await new FakeAnthropic(policyBrain).start()
    const started = await startDashboardHoldpoint({ env: { ANTHROPIC_API_KEY: model.apiKey, ANTHROPIC_BASE_URL: model.url } })
    withModel = started.hp
    await seedPeople(withModel, started.setupToken, [])
  })
  afterAll(async () => {
    await withModel?.close()
    await model?.close()
    if (withModel) await deleteKeys(testRedisUrl(), withModel.prefix)
  })

  it('words → "I read your answer as" → Confirm answers through the normal path', async () => {
    const res = await withModel.api('POST', '/v1/checkpoints', {
      task: 'Refund $250 to cus_8?',
      payload: { amountUsd: 250 },
      responseSchema: { type: 'object', properties: { approved: { type: 'boolean', title: 'Approve?' }, note: { type: 'string', title: 'Note' } }, required: ['approved'], additionalProperties: false },
    })
    expect(res.status).toBe(201)
    const page = await newPage()
    await page.goto(`${withModel.url}/login`)
    await page.getByLabel('Email or username').fill('olga@example.com')
    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Inbox' }).waitFor()
    await page.goto(`${withModel.url}/checkpoints/${res.body.id}`)

    await page.getByLabel('Answer in words').fill('Yes, approve it: it was a duplicate charge.')
    await page.getByRole('button', { name: 'Propose' }).click()
    const proposal = page.getByRole('status', { name: 'Proposed answer' })
    await containsText(proposal, 'I read your answer as:')
    await containsText(proposal, 'duplicate charge')
    // Proposed, not answered.
    expect((await withModel.api('GET', `/v1/checkpoints/${res.body.id}`)).body.response).toBeNull()
    await page.screenshot({ path: '/tmp/free-text.png' })

    await proposal.getByRole('button', { name: 'Confirm' }).click()
    await page.getByRole('heading', { name: 'Outcome' }).waitFor()
    const done = (await withModel.api('GET', `/v1/checkpoints/${res.body.id}`)).body
    expect(done).toMatchObject({ state: 'resolved', response: { approved: true, note: 'duplicate charge' }, respondedBy: { channel: 'dashboard' } })
  })
})
