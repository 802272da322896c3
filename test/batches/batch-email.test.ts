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
      // Two answer links (Approve / Reject) per item, each its own magic link.
      expect(text.match(/\/m\/[\w.-]+/g)?.length).toBe(12)
      expect(text).toContain(`/batches/${ids[0]}`)
      // No per-item request mail for batched checkpoints.
      expect(sink.to(address).filter((m) => m.subject?.startsWith('[Holdpoint] Delete branch'))).toHaveLength(0)
    }
    expect(sink.to(ANA).filter((m) => m.subject === '[Holdpoint] Not batched')).toHaveLength(1)
    expect(alone.status).toBe(201)
  })
})
