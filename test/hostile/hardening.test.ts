import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDashboardHoldpoint } from '../dashboard/support.js'
import { deleteKeys, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { approval } from './support.js'

/**
 * Security headers on every surface, session cookie flags, per-token and per-address rate
 * limits (429 + Retry-After), and agent tokens kept only as digests.
 */

let hp: TestHoldpoint
let sink: SmtpSink
let setupToken: string

beforeAll(async () => {
  sink = await startSmtpSink()
  ;({ hp, setupToken } = await startDashboardHoldpoint({
    env: {
      SMTP_URL: sink.url,
      HOLDPOINT_EMAIL_FROM: 'Holdpoint <hp@example.test>',
      HOLDPOINT_RATE_LIMIT_API: '15',
      HOLDPOINT_RATE_LIMIT_LINKS: '5',
      TELEGRAM_BOT_TOKEN: '123:abc',
      TELEGRAM_WEBHOOK_SECRET: 'tg-secret-for-headers',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9',
      SLACK_BOT_TOKEN: 'xoxb-x',
      SLACK_SIGNING_SECRET: 'slack-secret',
      SLACK_API_URL: 'http://127.0.0.1:9/api/',
    },
    channels: [],
  }))
})
afterAll(async () => {
  await hp.close()
  await sink.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

function expectBaseline(res: Response, what: string) {
  expect(res.headers.get('x-content-type-options'), what).toBe('nosniff')
  expect(res.headers.get('content-security-policy'), what).toMatch(/frame-ancestors 'none'/)
  expect(res.headers.get('referrer-policy'), what).toBeTruthy()
}

describe('security headers', () => {
  it('are on every API, channel, link and dashboard response, including errors', async () => {
    const auth = { authorization: `Bearer ${hp.token}` }
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval })
    const surfaces: Array<[string, RequestInit]> = [
      ['/healthz', {}],
      ['/metrics', {}],
      ['/v1/checkpoints', { headers: auth }],
      [`/v1/checkpoints/${created.body.id}`, { headers: auth }],
      ['/v1/checkpoints', {}],
      ['/v1/checkpoints', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{' }],
      ['/nope', {}],
      ['/slack/events', { method: 'POST', body: 'x' }],
      ['/telegram/webhook', { method: 'POST', body: '{}' }],
      ['/m/not-a-token', {}],
      ['/ui/api/session', {}],
      ['/', {}],
    ]
    for (const [path, init] of surfaces) {
      const res = await fetch(hp.url + path, { redirect: 'manual', ...init })
      await res.arrayBuffer()
      expect(res.status, path).toBeLessThan(500)
      expectBaseline(res, path)
    }
  })

  it('link pages never send a referrer; HTML gets a page policy, JSON the strictest one', async () => {
    const link = await fetch(`${hp.url}/m/anything`)
    expect(link.headers.get('referrer-policy')).toBe('no-referrer')
    const json = await fetch(`${hp.url}/healthz`)
    expect(json.headers.get('content-security-policy')).toMatch(/default-src 'none'/)
    const page = await fetch(`${hp.url}/`, { redirect: 'manual' })
    if ((page.headers.get('content-type') ?? '').includes('html')) expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/)
  })
})

describe('session cookies', () => {
  const setup = (base: string, token: string) =>
    fetch(`${base}/ui/api/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': 'anonymous' },
      body: JSON.stringify({ token, name: 'Olga', email: 'olga@example.com', password: 'correct horse battery' }),
    })

  it('are HttpOnly and SameSite, without Secure on an http public URL', async () => {
    const res = await setup(hp.url, setupToken)
    expect(res.status).toBe(200)
    const cookie = res.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/i)
    expect(cookie).toMatch(/SameSite=(Lax|Strict)/i)
    expect(cookie).not.toMatch(/;\s*Secure/i)
  })

  it('are Secure when HOLDPOINT_PUBLIC_URL is https', async () => {
    const secure = await startDashboardHoldpoint({ env: { HOLDPOINT_PUBLIC_URL: 'https://holdpoint.example.com' } })
    try {
      const res = await setup(secure.hp.url, secure.setupToken)
      expect(res.status).toBe(200)
      expect(res.headers.get('set-cookie')).toMatch(/;\s*Secure/i)
    } finally {
      await secure.hp.close()
      await deleteKeys(testRedisUrl(), secure.hp.prefix)
    }
  })
})

describe('rate limits', () => {
  it('limit each agent token separately with 429 and Retry-After', async () => {
    const [agent, ops] = hp.config.apiTokens
    const call = (token: string) => fetch(`${hp.url}/v1/checkpoints?limit=1`, { headers: { authorization: `Bearer ${token}` } })
    const statuses: number[] = []
    for (let i = 0; i < 20; i++) statuses.push((await call(ops!.token)).status)
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
    const limited = await call(ops!.token)
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
    expect(limited.headers.get('content-type')).toMatch(/problem\+json/)
    // the other token is unaffected
    expect((await call(agent!.token)).status).toBe(200)
  })

  it('limit magic-link requests per client address', async () => {
    const statuses: number[] = []
    for (let i = 0; i < 8; i++) statuses.push((await fetch(`${hp.url}/m/guess-${i}`, { headers: { 'x-forwarded-for': '203.0.113.7' } })).status)
    expect(statuses.slice(0, 5).every((s) => s !== 429)).toBe(true)
    expect(statuses.slice(5).every((s) => s === 429)).toBe(true)
    // another address still gets through
    expect((await fetch(`${hp.url}/m/guess-x`, { headers: { 'x-forwarded-for': '203.0.113.8' } })).status).not.toBe(429)
  })

  it('keep no token or address in Redis key names', async () => {
    const keys = await hp.redis.keys(`${hp.prefix}:ratelimit:*`)
    expect(keys.length).toBeGreaterThan(0)
    for (const key of keys) {
      expect(key).not.toContain('203.0.113')
      for (const t of hp.config.apiTokens) expect(key).not.toContain(t.token)
    }
  })
})

describe('agent tokens', () => {
  it('are compared as sha256 digests in constant time (no plaintext comparison in http/auth.ts)', () => {
    const source = readFileSync(fileURLToPath(new URL('../../http/auth.ts', import.meta.url)), 'utf8')
    expect(source).toMatch(/sha256Bytes\(/)
    expect(source).toMatch(/timingSafeEqual\(/)
    expect(source).not.toMatch(/\.token\s*===|===\s*\w+\.token/)
  })

  it('name the token in the audit', async () => {
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval })
    const audit = await hp.api('GET', `/v1/checkpoints/${created.body.id}/audit`)
    expect(JSON.stringify(audit.body.entries[0])).toContain(hp.config.apiTokens[0]!.name)
  })
})
