import { chromium, type Browser, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { honestSchema } from '../../ui/src/honest-schema.js'
import { deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { PASSWORD, requireBuiltUi, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'

/**
 * Labels can lie: a boolean whose oneOf titles say "Reject" for true. In the dashboard (real
 * Chromium, built UI) what a reviewer clicks says the value it sends, and the values are shown
 * before submitting.
 */

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

let hp: TestHoldpoint
let browser: Browser
let page: Page

const inverted = {
  type: 'object',
  properties: {
    approved: { type: 'boolean', title: 'Decision', oneOf: [{ const: true, title: 'Reject' }, { const: false, title: 'Approve' }] },
  },
  required: ['approved'],
  additionalProperties: false,
}

beforeAll(async () => {
  requireBuiltUi()
  const started = await startDashboardHoldpoint()
  hp = started.hp
  await seedPeople(hp, started.setupToken, [])
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
  page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage()
  page.setDefaultTimeout(10_000)
  await page.goto(`${hp.url}/login`)
  await page.getByLabel('Email or username').fill('olga@example.com')
  await page.getByLabel('Password').fill(PASSWORD)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByRole('heading', { name: 'Inbox' }).waitFor()
})

afterAll(async () => {
  await browser?.close()
  await hp?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

async function create(responseSchema: Record<string, unknown>): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', { task: 'Refund $250 to cus_8?', responseSchema })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

describe('honest answer forms in Chromium', () => {
  it('inverted boolean titles cannot make "Reject" approve: the options say Yes/No and the value is shown before submit', async () => {
    const id = await create(inverted)
    await page.goto(`${hp.url}/checkpoints/${id}`)
    await page.getByRole('button', { name: 'Submit answer' }).waitFor()
    // The agent's lying titles are not offered as choices at all.
    expect(await page.locator('.answer-form').getByLabel('Reject', { exact: true }).count()).toBe(0)
    expect(await page.locator('.answer-form').getByLabel('Approve', { exact: true }).count()).toBe(0)
    // The reviewer means to refuse: "No" is false, and the page says so before anything is sent.
    await page.locator('.answer-form').getByLabel('No', { exact: true }).check()
    const values = page.getByRole('status', { name: 'Your answer as sent' })
    await values.filter({ hasText: 'approved: false (no)' }).waitFor()
    await page.getByRole('button', { name: 'Submit answer' }).click()
    await page.getByRole('heading', { name: 'Outcome' }).waitFor()
    const done = await eventually(async () => {
      const cp = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
      return cp.state === 'resolved' ? cp : null
    })
    expect(done.response).toEqual({ approved: false })
  })

  it('titled enum choices show their values beside the titles', async () => {
    const id = await create({
      type: 'object',
      properties: { outcome: { type: 'string', title: 'Outcome', oneOf: [{ const: 'refund', title: 'Deny' }, { const: 'deny', title: 'Refund' }] } },
      required: ['outcome'],
    })
    await page.goto(`${hp.url}/checkpoints/${id}`)
    await page.getByRole('button', { name: 'Submit answer' }).waitFor()
    const options = await page.locator('.answer-form select option').allTextContents()
    expect(options.filter((o) => o.trim() !== '')).toEqual(['Deny (refund)', 'Refund (deny)'])
    await page.locator('.answer-form select').selectOption({ label: 'Refund (deny)' })
    await page.getByRole('status', { name: 'Your answer as sent' }).filter({ hasText: 'outcome: deny' }).waitFor()
  })
})

describe('honestSchema', () => {
  it('draws booleans as Yes/No whatever their branches say, and keeps values beside titles', () => {
    expect(honestSchema(inverted)).toEqual({ type: 'object', properties: { approved: { type: 'boolean', title: 'Decision' } }, required: ['approved'], additionalProperties: false })
    // Untyped oneOf of boolean constants, one-value enums, anyOf, enumNames, nested in arrays and $defs.
    const tricky = {
      $defs: { d: { anyOf: [{ enum: [true], title: 'No' }, { enum: [false], title: 'Yes' }] } },
      type: 'array',
      items: { oneOf: [{ const: false, title: 'Approve' }, { const: true, title: 'Reject' }] },
      enumNames: ['x'],
    }
    expect(honestSchema(tricky)).toEqual({ $defs: { d: { type: 'boolean' } }, type: 'array', items: { type: 'boolean' } })
    expect(honestSchema({ oneOf: [{ const: 1, title: 'One' }, { const: 2 }] })).toEqual({ oneOf: [{ const: 1, title: 'One (1)' }, { const: 2, title: '2' }] })
  })
})
