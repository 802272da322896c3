import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'

/**
 * Email sends one mail per batch per recipient: the first delivery job of the batch for a
 * recipient composes it (with each item's own answer links), its siblings only record the
 * delivery. A checkpoint outside the batch still gets its own mail.
 */
let hp: TestHoldpoint
let sink: SmtpSink

beforeAll(async () => {
  sink = await startSmtpSink()
  hp = await startHoldpoint({ env: { SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>' } })
})

afterAll(async () => {
  await hp?.close()
  await sink?.close()
  if (hp) await deleteKeys(testRedisUrl(), hp.prefix)
})

const ANA = 'ana@example.com'
const BEN = 'ben@example.com'
const batch = { id: 'nightly-9', title: 'Nightly cleanup: delete stale branches' }

describe('email and batches', () => {
  it('sends one mail per batch per recipient, with each item’s links, and records every delivery', async () => {
    const ids: string[] = []
    for (let i = 1; i <= 6; i++) {
      const res = await hp.api('POST', '/v1/checkpoints', { task: `Delete branch feature-${i}?`, responseSchema: approvalSchema, notify: [`email:${ANA}`, `email:${BEN}`], batch })
      expect(res.status).toBe(201)
      ids.push(res.body.id)
    }
    const alone = await hp.api('POST', '/v1/checkpoints', { task: 'Not batched', responseSchema: approvalSchema, notify: [`email:${ANA}`] })

    await eventually(async () => {
      for (const id of ids) {
        const cp = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
        if (!cp.deliveredTo.includes(`email:${ANA}`) || !cp.deliveredTo.includes(`email:${BEN}`)) return false
      }
      return true
    }, 20_000)
    await eventually(async () => sink.to(ANA).some((m) => m.subject === '[Holdpoint] Not batched'), 10_000)
    // Let any stray per-item mail arrive before counting.
    await new Promise((r) => setTimeout(r, 1_500))

    for (const address of [ANA, BEN]) {
      const batchMails = sink.to(address).filter((m) => m.subject?.includes(batch.title))
      expect(batchMails).toHaveLength(1)
      expect(batchMails[0]?.subject).toBe(`[Holdpoint] ${batch.title} (6 requests)`)
      const text = batchMails[0]?.text ?? ''
      for (let i = 1; i <= 6; i++) expect(text).toContain(`Delete branch feature-${i}?`)
      // Two answer links (Approve / Reject) per item, each its own magic link, and Approve all.
      expect(text.match(/\/m\/[\w.-]+/g)?.length).toBe(13)
      expect(text).toMatch(/Approve all \(a page lists them first\): http\S+\/m\/[\w.-]+/)
      expect(text).toContain(`/batches/${ids[0]}`)
      // No per-item request mail for batched checkpoints.
      expect(sink.to(address).filter((m) => m.subject?.startsWith('[Holdpoint] Delete branch'))).toHaveLength(0)
    }
    expect(sink.to(ANA).filter((m) => m.subject === '[Holdpoint] Not batched')).toHaveLength(1)
    expect(alone.status).toBe(201)
  })

  it('Approve all: the link’s page lists the items, its POST approves each fitting one through the answer path, once', async () => {
    const CARA = 'cara@example.com'
    const weekly = { id: 'weekly-3', title: 'Weekly access review' }
    const ids: string[] = []
    for (let i = 1; i <= 3; i++) {
      const res = await hp.api('POST', '/v1/checkpoints', { task: `Keep access for user-${i}?`, responseSchema: approvalSchema, notify: [`email:${CARA}`], batch: weekly })
      ids.push(res.body.id)
    }
    const formSchema = { type: 'object', properties: { reason: { type: 'string', minLength: 3 } }, required: ['reason'] }
    const form = (await hp.api('POST', '/v1/checkpoints', { task: 'Why does user-4 need admin?', responseSchema: formSchema, notify: [`email:${CARA}`], batch: weekly })).body.id as string

    const mail = await eventually(async () => sink.to(CARA).find((m) => m.subject?.includes(weekly.title)), 20_000)
    expect(sink.to(CARA).filter((m) => m.subject?.includes(weekly.title))).toHaveLength(1)
    const link = /Approve all \(a page lists them first\): (\S+)/.exec(mail.text ?? '')?.[1]
    expect(link).toBeDefined()

    // GET only shows what would happen.
    const page = await fetch(link!)
    expect(page.status).toBe(200)
    const html = await page.text()
    for (let i = 1; i <= 3; i++) expect(html).toContain(`Keep access for user-${i}?`)
    expect(html).toContain('Why does user-4 need admin?')
    expect(html).toContain('Approve 3 requests')
    for (const id of [...ids, form]) expect((await hp.api('GET', `/v1/checkpoints/${id}`)).body.state).not.toBe('resolved')

    const post = () =>
      fetch(link!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link!).origin, 'sec-fetch-site': 'same-origin' }, body: '' })
    const done = await post()
    expect(done.status).toBe(200)
    expect(await done.text()).toContain('3 approvals recorded')
    for (const id of ids) {
      const cp = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
      expect(cp.state).toBe('resolved')
      expect(cp.response).toEqual({ approved: true })
      const entries = (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: Record<string, unknown> }>
      const answered = entries.filter((e) => e.kind === 'answered')
      expect(answered).toHaveLength(1)
      expect(answered[0]?.data).toMatchObject({ via: 'email-approve-all', batch: weekly.id })
    }
    // The item that needs a form stays open for its own link.
    expect((await hp.api('GET', `/v1/checkpoints/${form}`)).body.state).not.toBe('resolved')

    // Single use, like every other link.
    const again = await post()
    expect(again.status).toBe(409)
    expect(await again.text()).toContain('already used')
  })
})
