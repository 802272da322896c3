import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmailChannel } from '../../channels/email/email-channel.js'
import { mintMagicLink } from '../../channels/email/magic-link.js'
import { toView } from '../../engine/checkpoint-view.js'
import { openDashboardGrant } from '../../engine/dashboard-grant.js'
import { Keyring, parseSecretKeys } from '../../engine/keyring.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'

let sink: SmtpSink
let hp: TestHoldpoint
let keyring: Keyring

beforeAll(async () => {
  sink = await startSmtpSink()
  hp = await startHoldpoint({ env: { SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>' } })
  keyring = new Keyring(parseSecretKeys(hp.env.HOLDPOINT_SECRET_KEYS!))
})
afterAll(async () => {
  await hp.close()
  await sink.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const refund = (extra: Record<string, unknown> = {}) => ({
  task: 'Approve a $250 refund for cus_42?',
  payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge' },
  responseSchema: approvalSchema,
  timeoutSeconds: 900,
  ...extra,
})

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', body)
  expect(res.status).toBe(201)
  return res.body.id as string
}

async function mailFor(address: string, checkpointId: string, kind: 'request' | 'outcome' = 'request'): Promise<ParsedMail> {
  return eventually(async () =>
    sink.to(address).find((m) => m.messageId?.includes(checkpointId) && (kind === 'outcome') === m.messageId.includes('.outcome@')),
  )
}

const linksIn = (mail: ParsedMail): string[] => [...(mail.text ?? '').matchAll(/https?:\/\/\S+\/m\/[A-Za-z0-9_.-]+/g)].map((m) => m[0])

/** What a browser sends when the page's own form is submitted. */
const formPost = (link: string) =>
  fetch(link, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin, 'sec-fetch-site': 'same-origin' },
    body: '',
  })

const checkpoint = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const audit = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; actor: Record<string, unknown>; data?: Record<string, unknown> }>

describe('email delivery', () => {
  it('sends a well-formed HTML + text mail with one confirm link per answer, and records delivery', async () => {
    const id = await create(refund({ notify: ['email:Ana@Example.com'] }))
    const mail = await mailFor('ana@example.com', id)
    expect(mail.from?.value[0]?.address).toBe('holdpoint@example.test')
    expect(mail.subject).toBe('[Holdpoint] Approve a $250 refund for cus_42?')
    expect(mail.messageId).toMatch(new RegExp(`^<${id}\\.[0-9a-f]{16}@example\\.test>$`))
    expect(mail.text).toContain('Approve a $250 refund for cus_42?')
    expect(mail.text).toContain('reason: Duplicate charge')
    expect(mail.text).toMatch(/Time left: 1[45] minutes left/)
    expect(mail.html).toContain('<li>customerId: cus_42</li>')
    const links = linksIn(mail)
    expect(links).toHaveLength(2)
    expect(links.every((l) => l.startsWith(`${hp.url}/m/`))).toBe(true)
    expect(mail.html).toContain('>Approve</a>')
    expect(mail.html).toContain('>Reject</a>')
    const delivered = await eventually(async () => {
      const cp = await checkpoint(id)
      return cp.state === 'delivered' && cp
    })
    expect(delivered.deliveredTo).toEqual(['email:ana@example.com'])
  })

  it('opening a link only shows a confirmation page; confirming answers as the recipient; the outcome lands in the same thread', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const mail = await mailFor('ana@example.com', id)
    const [approve, reject] = linksIn(mail) as [string, string]

    // A scanner (or the person) opening the link changes nothing.
    for (let i = 0; i < 2; i++) {
      const page = await fetch(approve)
      expect(page.status).toBe(200)
      expect(page.headers.get('referrer-policy')).toBe('no-referrer')
      expect(page.headers.get('cache-control')).toBe('no-store')
      const html = await page.text()
      expect(html).toContain('Confirm: Approve')
      expect(html).toMatch(/<form method="post">/)
      expect(html).not.toContain(new URL(approve).pathname)
    }
    expect((await fetch(approve, { method: 'HEAD' })).status).toBe(200)
    expect((await checkpoint(id)).state).toMatch(/pending|delivered/)
    const opened = await audit(id)
    expect(opened.filter((e) => e.kind === 'link.opened')).toHaveLength(1)
    expect(opened.some((e) => e.kind === 'answered')).toBe(false)

    const confirmed = await formPost(approve)
    expect(confirmed.status).toBe(200)
    expect(confirmed.headers.get('referrer-policy')).toBe('no-referrer')
    expect(await confirmed.text()).toContain('You answered: <strong>Approve</strong>')
    const done = await checkpoint(id)
    expect(done).toMatchObject({ state: 'resolved', response: { approved: true }, respondedBy: { channel: 'email', actor: 'ana@example.com' } })
    const answered = (await audit(id)).find((e) => e.kind === 'answered')
    expect(answered?.data).toMatchObject({ via: 'email-link', response: { approved: true } })

    const outcome = await mailFor('ana@example.com', id, 'outcome')
    expect(outcome.inReplyTo).toBe(mail.messageId)
    expect(outcome.references).toEqual(mail.messageId)
    expect(outcome.subject).toBe(`Re: ${mail.subject}`)
    expect(outcome.text).toContain('Answered: Approve by ana@example.com (email)')

    // Second use of the same link, and the other link of the same mail: "already answered", nothing changes.
    const version = (await checkpoint(id)).version
    const again = await formPost(approve)
    expect(again.status).toBe(409)
    const againHtml = await again.text()
    expect(againHtml).toContain('Already answered')
    expect(againHtml).toContain('Answered: Approve by ana@example.com')
    const other = await formPost(reject)
    expect(other.status).toBe(409)
    expect((await fetch(reject)).status).toBe(409)
    expect((await checkpoint(id)).version).toBe(version)
    expect((await checkpoint(id)).response).toEqual({ approved: true })
  })

  it('answers forged, tampered and expired links with clear 4xx pages and changes nothing', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const [approve] = linksIn(await mailFor('ana@example.com', id)) as [string]
    const token = new URL(approve).pathname.slice('/m/'.length)
    const [body, kid, mac] = token.split('.') as [string, string, string]
    const forgedBody = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), to: 'mallory@example.com' })).toString('base64url')

    for (const bad of [`${forgedBody}.${kid}.${mac}`, `${body}.${kid}.${mac.slice(0, -2)}xx`, 'not-a-token', `${body}.nokey.${mac}`]) {
      for (const res of [await fetch(`${hp.url}/m/${bad}`), await formPost(`${hp.url}/m/${bad}`)]) {
        expect(res.status).toBe(400)
        expect(res.headers.get('referrer-policy')).toBe('no-referrer')
        expect(await res.text()).toContain('This link is not valid')
      }
    }
    const expired = mintMagicLink({ keyring, publicUrl: hp.url, claims: { cp: id, to: 'ana@example.com', a: 0, n: 'expired-nonce' }, ttlSeconds: 60, now: Date.now() - 3600_000 })
    for (const res of [await fetch(expired), await formPost(expired)]) {
      expect(res.status).toBe(410)
      expect(await res.text()).toContain('This link has expired')
    }
    const cp = await checkpoint(id)
    expect(cp.response).toBeNull()
    expect((await audit(id)).some((e) => e.kind === 'answered')).toBe(false)
  })

  it('refuses a confirmation posted from another site', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const [approve] = linksIn(await mailFor('ana@example.com', id)) as [string]
    const crossOrigin = await fetch(approve, { method: 'POST', headers: { origin: 'https://evil.example' } })
    expect(crossOrigin.status).toBe(403)
    const crossSite = await fetch(approve, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })
    expect(crossSite.status).toBe(403)
    expect((await checkpoint(id)).response).toBeNull()
    // The link still works from its own page.
    expect((await formPost(approve)).status).toBe(200)
  })

  it('lets a notified but unassigned recipient view the request but not answer it', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com', 'email:bob@example.com'], assignTo: ['email:ana@example.com'] }))
    const bobMail = await mailFor('bob@example.com', id)
    const bobLinks = linksIn(bobMail)
    expect(bobLinks).toHaveLength(1)
    expect(bobMail.html).not.toContain('>Approve</a>')
    const view = await fetch(bobLinks[0]!)
    expect(view.status).toBe(200)
    const viewHtml = await view.text()
    expect(viewHtml).toContain('you are not among the people who answer it')
    expect(viewHtml).not.toContain('<form')
    expect((await formPost(bobLinks[0]!)).status).toBe(405)

    // Even holding a genuine answer link, Bob is refused, audited, and nothing changes.
    const minted = mintMagicLink({ keyring, publicUrl: hp.url, claims: { cp: id, to: 'bob@example.com', a: 0, n: 'bob-nonce' }, ttlSeconds: 600 })
    expect((await fetch(minted)).status).toBe(403)
    const refused = await formPost(minted)
    expect(refused.status).toBe(403)
    expect(await refused.text()).toContain('you are not among the people who may answer it')
    expect((await checkpoint(id)).response).toBeNull()
    const entry = (await audit(id)).find((e) => e.kind === 'refused')
    expect(entry).toMatchObject({ actor: { channel: 'email', actor: 'bob@example.com' }, data: { reason: 'not_assigned', attempted: 'answered' } })

    // Ana, who is assigned, still can.
    const [approve] = linksIn(await mailFor('ana@example.com', id)) as [string]
    expect((await formPost(approve)).status).toBe(200)
  })

  it('sends a signed dashboard form link when the schema needs more than one click', async () => {
    const schema = { type: 'object', properties: { amount: { type: 'number' }, note: { type: 'string' } }, required: ['amount', 'note'] }
    const id = await create(refund({ notify: ['email:ana@example.com'], responseSchema: schema }))
    const mail = await mailFor('ana@example.com', id)
    expect(linksIn(mail)).toHaveLength(0)
    const form = /https?:\/\/\S+\/checkpoints\/cp_\w+\?grant=\S+/.exec(mail.text ?? '')?.[0]
    expect(form).toBeDefined()
    const url = new URL(form!)
    expect(url.pathname).toBe(`/checkpoints/${id}`)
    const grant = openDashboardGrant(keyring, url.searchParams.get('grant')!)
    expect(grant.ok && grant.claims).toMatchObject({ cp: id, ch: 'email', h: 'ana@example.com' })
  })
})

describe('SMTP failures', () => {
  it('retries a transient refusal (421) until the server accepts the mail', async () => {
    sink.refuse('flaky@example.com', 421, 1)
    const id = await create(refund({ notify: ['email:flaky@example.com'] }))
    await mailFor('flaky@example.com', id)
    expect(sink.attempts.get('flaky@example.com')).toBe(2)
    await eventually(async () => (await checkpoint(id)).state === 'delivered')
    expect((await audit(id)).some((e) => e.kind === 'delivery.failed')).toBe(false)
  })

  it('stops at a permanent rejection (550), visible in the audit, without retrying', async () => {
    sink.refuse('gone@example.com', 550)
    const id = await create(refund({ notify: ['email:gone@example.com'] }))
    const failed = await eventually(async () => (await audit(id)).find((e) => e.kind === 'delivery.failed'))
    expect(failed).toMatchObject({ actor: { channel: 'system', actor: 'email' }, data: { recipient: 'email:gone@example.com', final: true } })
    expect(String(failed.data?.reason)).toContain('550')
    // The creating process's inline first attempt met the 550: no job was queued to retry it.
    const jobs = await hp.runtime.queues.get('deliver-email').getJobs(['failed', 'delayed', 'waiting', 'active'])
    expect(jobs.filter((j) => j.data.checkpointId === id)).toEqual([])
    await new Promise((r) => setTimeout(r, 300))
    expect(sink.attempts.get('gone@example.com')).toBe(1)
    expect((await checkpoint(id)).state).toBe('pending')
  })

  it('mails the outcome of a cancelled checkpoint in the same thread', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const request = await mailFor('ana@example.com', id)
    await eventually(async () => (await checkpoint(id)).state === 'delivered')
    expect((await hp.api('POST', `/v1/checkpoints/${id}/cancel`, {})).status).toBe(200)
    const outcome = await mailFor('ana@example.com', id, 'outcome')
    expect(outcome.inReplyTo).toBe(request.messageId)
    expect(outcome.text).toContain('Cancelled')
  })

  it('threads a reminder under the request, with links that still work', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const request = await mailFor('ana@example.com', id)
    // Reminder jobs come from the reminders feature; here the channel is driven directly.
    const channel = hp.runtime.channels.get('email') as EmailChannel
    const ctx = { checkpoint: toView((await hp.runtime.engine.get(id))!, hp.url), recipient: 'email:ana@example.com', deliveryId: `${id}.r1` }
    await channel.remind(ctx)
    await channel.remind(ctx)
    const reminders = sink.to('ana@example.com').filter((m) => m.messageId?.includes(id) && m.messageId.includes('.reminder-'))
    expect(reminders).toHaveLength(1)
    expect(reminders[0]!.inReplyTo).toBe(request.messageId)
    expect(reminders[0]!.subject).toBe(`Re: ${request.subject}`)
    expect(reminders[0]!.text).toContain('Reminder: this still needs an answer.')
    const [, reject] = linksIn(reminders[0]!) as [string, string]
    expect((await formPost(reject)).status).toBe(200)
    expect((await checkpoint(id)).response).toEqual({ approved: false })
  })
})
