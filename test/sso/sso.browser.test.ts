import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Person } from '../../engine/directory.js'
import { DashClient, inertEmailChannel, requireBuiltUi } from '../dashboard/support.js'
import { freePort } from '../support/free-port.js'
import { deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startTestProvider, type TestProvider } from './provider.js'

/**
 * Single sign-on end to end: a real OpenID provider (oidc-provider) and Holdpoint, both on
 * loopback http, and the whole sign-in driven in headless Chromium: the dashboard's button,
 * the provider's login and consent pages, the callback, the dashboard signed in.
 */
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

let provider: TestProvider
let hp: TestHoldpoint
/** Same provider, password sign-in switched off. */
let ssoOnly: TestHoldpoint
let browser: Browser
const contexts: BrowserContext[] = []

beforeAll(async () => {
  requireBuiltUi()
  const [port, ssoOnlyPort] = [await freePort(), await freePort()]
  provider = await startTestProvider([`http://127.0.0.1:${port}/auth/oidc/callback`, `http://127.0.0.1:${ssoOnlyPort}/auth/oidc/callback`])
  const sso = {
    HOLDPOINT_OIDC_ISSUER: provider.issuer,
    HOLDPOINT_OIDC_CLIENT_ID: provider.clientId,
    HOLDPOINT_OIDC_CLIENT_SECRET: provider.clientSecret,
    HOLDPOINT_OIDC_SCOPES: 'openid email profile groups',
    HOLDPOINT_OIDC_OPERATOR_GROUP: 'hp-operators',
  }
  hp = await startHoldpoint({ port, channels: [inertEmailChannel], env: sso, announce: () => undefined })
  ssoOnly = await startHoldpoint({ port: ssoOnlyPort, channels: [inertEmailChannel], env: { ...sso, HOLDPOINT_PASSWORD_LOGIN: 'off' }, announce: () => undefined })
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS })
}, 60_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  await hp?.close()
  await ssoOnly?.close()
  await provider?.close()
  for (const h of [hp, ssoOnly]) if (h) await deleteKeys(testRedisUrl(), h.prefix)
})

async function newPage(): Promise<Page> {
  const context = await browser.newContext()
  contexts.push(context)
  // The provider's development pages load a web font; nothing here may leave the machine.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1)/, (route) => route.abort())
  const page = await context.newPage()
  page.setDefaultTimeout(15_000)
  return page
}

/** From a dashboard page to the provider and, when `finish` is left on, back. */
async function ssoSignIn(page: Page, target: TestHoldpoint, login: string, path = '/account', beforeSubmit?: () => Promise<void>) {
  await page.goto(`${target.url}${path}`)
  await page.waitForURL(/\/login\?next=/)
  await page.getByRole('link', { name: 'Sign in with SSO' }).click()
  await page.waitForURL((url) => url.origin === provider.issuer)
  await page.locator('input[name="login"]').fill(login)
  await page.locator('input[name="password"]').fill('anything')
  await beforeSubmit?.()
  const loginPage = page.url()
  await page.getByRole('button', { name: 'Sign-in' }).click()
  // The provider asks for consent (a new interaction page) the first time this client wants these scopes.
  await page.waitForURL((url) => url.origin === target.url || (url.pathname.includes('/interaction/') && url.href !== loginPage))
  if (new URL(page.url()).origin === provider.issuer) await page.getByRole('button', { name: 'Continue' }).click()
  await page.waitForURL((url) => url.origin === target.url && url.pathname !== '/auth/oidc/callback')
}

/** Changes what Holdpoint remembers of the one sign-in in progress. */
async function rewriteFlow(change: Record<string, string>): Promise<void> {
  const keys = await hp.redis.keys(`${hp.prefix}:dash:oidc-flow:*`)
  expect(keys).toHaveLength(1)
  const key = keys[0]!
  const flow = JSON.parse((await hp.redis.get(key))!) as Record<string, string>
  await hp.redis.set(key, JSON.stringify({ ...flow, ...change }), 'KEEPTTL')
}

async function person(target: TestHoldpoint, id: string): Promise<Person | null> {
  const raw = await target.redis.get(`${target.prefix}:person:${id}`)
  return raw ? (JSON.parse(raw) as Person) : null
}

async function sessionIn(page: Page): Promise<{ signedIn: boolean; person?: { id: string } | null }> {
  return page.evaluate(async () => (await fetch('/ui/api/session')).json() as Promise<{ signedIn: boolean; person?: { id: string } | null }>)
}

describe('single sign-on', () => {
  it('creates the account on first sign-in, with groups and the operator role from the claim, and lands on the page asked for', async () => {
    provider.accounts.set('ana', { email: 'Ana@Example.com', email_verified: true, name: 'Ana Admin', groups: ['hp-operators', 'finance', 'not a/valid group'] })
    const page = await newPage()
    await ssoSignIn(page, hp, 'ana', '/account')
    expect(new URL(page.url()).pathname).toBe('/account')
    await page.getByRole('heading', { name: 'Your account' }).waitFor()
    await page.getByText('Ana Admin').first().waitFor()
    const ana = await person(hp, 'ana')
    expect(ana).toMatchObject({ id: 'ana', name: 'Ana Admin', email: 'ana@example.com', role: 'operator', groups: ['hp-operators', 'finance'] })
    expect((await sessionIn(page)).person?.id).toBe('ana')
    // Operators see the People page.
    await page.goto(`${hp.url}/admin/people`)
    await page.getByRole('heading', { name: 'People' }).first().waitFor()
  })

  it('a later sign-in brings groups and role in line with the provider', async () => {
    provider.accounts.set('ana', { email: 'ana@example.com', email_verified: true, name: 'Ana Admin', groups: ['support'] })
    const page = await newPage()
    await ssoSignIn(page, hp, 'ana', '/')
    expect(await person(hp, 'ana')).toMatchObject({ id: 'ana', role: 'reviewer', groups: ['support'] })
    expect(await person(hp, 'ana-2')).toBeNull()
  })

  it('refuses a callback whose state is not the one this sign-in sent', async () => {
    provider.accounts.set('ben', { email: 'ben@example.com', email_verified: true, name: 'Ben', groups: [] })
    const page = await newPage()
    // Playwright cannot rewrite a redirect's target, so the state Holdpoint expects changes instead: the same mismatch.
    await ssoSignIn(page, hp, 'ben', '/account', () => rewriteFlow({ state: 'another-state' }))
    expect(new URL(page.url()).search).toBe('?sso=failed')
    await page.getByRole('alert').filter({ hasText: 'Single sign-on did not complete' }).waitFor()
    expect((await sessionIn(page)).signedIn).toBe(false)
    expect(await person(hp, 'ben')).toBeNull()
  })

  it('refuses a forged state in the callback address, even with a real flow cookie', async () => {
    const start = await fetch(`${hp.url}/auth/oidc/login?next=/account`, { redirect: 'manual' })
    const flowCookie = /hp_oidc=[^;]+/.exec(start.headers.get('set-cookie') ?? '')?.[0]
    expect(flowCookie).toBeDefined()
    const res = await fetch(`${hp.url}/auth/oidc/callback?code=some-code&state=forged&iss=${encodeURIComponent(provider.issuer)}`, { redirect: 'manual', headers: { cookie: flowCookie! } })
    expect(res.headers.get('location')).toBe('/login?sso=failed')
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/hp_session=[^;]/)
    // The flow was used up: the same cookie does not get a second try.
    expect(await hp.redis.keys(`${hp.prefix}:dash:oidc-flow:*`)).toEqual([])
  })

  it('refuses an ID token whose nonce is not the one this sign-in sent', async () => {
    provider.accounts.set('cara', { email: 'cara@example.com', email_verified: true, name: 'Cara', groups: [] })
    const page = await newPage()
    // While the browser is at the provider, the nonce Holdpoint expects is changed under it.
    await ssoSignIn(page, hp, 'cara', '/account', () => rewriteFlow({ nonce: 'another-nonce' }))
    expect(new URL(page.url()).search).toBe('?sso=failed')
    expect((await sessionIn(page)).signedIn).toBe(false)
    expect(await person(hp, 'cara')).toBeNull()
  })

  it('refuses an email the provider says it has not verified', async () => {
    provider.accounts.set('dan', { email: 'dan@example.com', email_verified: false, name: 'Dan', groups: ['hp-operators'] })
    const page = await newPage()
    await ssoSignIn(page, hp, 'dan')
    expect(new URL(page.url()).search).toBe('?sso=failed')
    expect(await person(hp, 'dan')).toBeNull()
  })

  it('refuses a callback without the flow cookie', async () => {
    const res = await fetch(`${hp.url}/auth/oidc/callback?code=x&state=y`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    expect(res.headers.get('location')).toBe('/login?sso=failed')
    expect(res.headers.get('set-cookie') ?? '').not.toMatch(/hp_session=[^;]/)
  })

  it('keeps ?next= on this site', async () => {
    const res = await fetch(`${hp.url}/auth/oidc/login?next=${encodeURIComponent('//evil.example/x')}`, { redirect: 'manual' })
    expect(res.status).toBe(302)
    const flowKey = (await hp.redis.keys(`${hp.prefix}:dash:oidc-flow:*`))[0]!
    expect(JSON.parse((await hp.redis.get(flowKey))!)).toMatchObject({ next: '/' })
    expect(new URL(res.headers.get('location')!).origin).toBe(provider.issuer)
    await hp.redis.del(flowKey)
  })

  it('with password sign-in off: the API answers 403, the page offers SSO only, and SSO signs in', async () => {
    const client = new DashClient(ssoOnly.url)
    const login = await client.login('someone@example.com', 'whatever-password')
    expect(login.status).toBe(403)
    expect(login.body.title).toBe('Password sign-in is off')
    expect((await client.req('GET', '/ui/api/login-options')).body).toEqual({ password: false, sso: true })

    provider.accounts.set('eve', { email: 'eve@example.com', email_verified: true, name: 'Eve', groups: ['hp-operators'] })
    const page = await newPage()
    await page.goto(`${ssoOnly.url}/login`)
    await page.getByRole('link', { name: 'Sign in with SSO' }).waitFor()
    expect(await page.getByLabel('Password').count()).toBe(0)
    await ssoSignIn(page, ssoOnly, 'eve', '/account')
    await page.getByRole('heading', { name: 'Your account' }).waitFor()
    await page.waitForLoadState('networkidle')
    expect(await page.getByRole('heading', { name: 'Change password' }).count()).toBe(0)
    expect(await person(ssoOnly, 'eve')).toMatchObject({ role: 'operator', groups: ['hp-operators'] })
  })
})
