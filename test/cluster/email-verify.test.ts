import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { keySlot } from '../../engine/key-slot.js'
import { deliveryQueue, VERIFY_QUEUE } from '../../plugins/queue-names.js'
import { approvalSchema, eventually, startHoldpoint, type TestHoldpoint } from '../support/holdpoint.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

// The email channel (real SMTP, the split `deliver-email` queues, link uses in the `{email}`
// group) and the verify queue (`{verify}`) on a real 3-master cluster, through the same entry
// points as test/email/email.test.ts and test/verify/verify.test.ts.
let cluster: RedisClusterProcess
let sink: SmtpSink
let receiver: WebhookReceiver
let hp: TestHoldpoint
const verifierCalls: Array<{ checkpointId: string; attempt: number }> = []
/** Each verdict waits for this, so a test can look at the checkpoint while it is `verifying`. */
let verdictGate: Promise<void> = Promise.resolve()
let release: () => void = () => undefined

beforeAll(async () => {
  cluster = await startRedisCluster()
  sink = await startSmtpSink()
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint({
    env: { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds, SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>' },
    verifiers: {
      // Passes an answer with a note (trimmed), fails one without.
      policy: async (input) => {
        verifierCalls.push({ checkpointId: input.checkpointId, attempt: input.attempt })
        await verdictGate
        const answer = input.answer as { approved: boolean; note?: string }
        const note = (answer.note ?? '').trim()
        return note ? { passed: true, reason: 'Has a note.', response: { ...answer, note } } : { passed: false, reason: 'Say why.' }
      },
    },
  })
}, 60_000)
afterAll(async () => {
  release()
  await hp?.close()
  await Promise.all([sink?.close(), receiver?.close()])
  await cluster?.stop()
})

const checkpoint = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const kinds = async (id: string): Promise<string[]> => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries.map((e: { kind: string }) => e.kind)
const until = (id: string, state: string) =>
  eventually(async () => {
    const cp = await checkpoint(id)
    return cp.state === state && cp
  }, 15_000)

async function mailFor(address: string, id: string, kind: 'request' | 'outcome' = 'request'): Promise<ParsedMail> {
  return eventually(async () => sink.to(address).find((m) => m.messageId?.includes(id) && (kind === 'outcome') === m.messageId.includes('.outcome@')))
}
const linksIn = (mail: ParsedMail): string[] => [...(mail.text ?? '').matchAll(/https?:\/\/\S+\/m\/[A-Za-z0-9_.-]+/g)].map((m) => m[0])
/** What a browser sends when the confirmation page's own form is submitted. */
const formPost = (link: string) =>
  fetch(link, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(link).origin, 'sec-fetch-site': 'same-origin' }, body: '' })

describe('the email channel on a 3-master Redis Cluster', () => {
  it('delivers from its split queue, answers by a confirmed link, threads the outcome, and takes each link once', async () => {
    const created = await hp.api('POST', '/v1/checkpoints', { task: 'Refund $90 on a cluster?', responseSchema: approvalSchema, notify: ['email:ana@example.com'], resume: { webhook: { url: receiver.url } } })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    // On a Cluster the email delivery queue is split in three (deliver-email.0-2).
    expect(hp.runtime.queues.partsOf(deliveryQueue('email'))).toHaveLength(3)
    const mail = await mailFor('ana@example.com', id)
    const [approve, reject] = linksIn(mail) as [string, string]
    expect(linksIn(mail)).toHaveLength(2)
    expect((await until(id, 'delivered')).deliveredTo).toEqual(['email:ana@example.com'])

    // Opening the link changes nothing but the audit.
    const page = await fetch(approve)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Confirm: Approve')
    expect((await kinds(id)).filter((k) => k === 'link.opened')).toHaveLength(1)

    const confirmed = await formPost(approve)
    expect(confirmed.status).toBe(200)
    expect(await confirmed.text()).toContain('You answered: <strong>Approve</strong>')
    expect(await checkpoint(id)).toMatchObject({ state: 'resolved', response: { approved: true }, respondedBy: { channel: 'email', actor: 'ana@example.com' } })
    const outcome = await mailFor('ana@example.com', id, 'outcome')
    expect(outcome.inReplyTo).toBe(mail.messageId)
    await eventually(async () => receiver.received.some((r) => JSON.parse(r.body).data.checkpointId === id))

    // The link's use is recorded in the `{email}` group, on the cluster.
    const used = await cluster.scanAll(`${hp.prefix}:{email}:email:link-used:*`)
    expect(used).toHaveLength(1)
    expect(keySlot(used[0]!)).toBe(keySlot(`${hp.prefix}:{email}`))
    const version = (await checkpoint(id)).version
    expect((await formPost(approve)).status).toBe(409)
    expect((await formPost(reject)).status).toBe(409)
    expect((await checkpoint(id)).version).toBe(version)
    expect(sink.to('ana@example.com').filter((m) => m.messageId?.includes(id))).toHaveLength(2)
  })
})

describe('the verify queue on a 3-master Redis Cluster', () => {
  it('sends a failing answer back to the person, resolves a passing one, and resumes once', async () => {
    expect(hp.runtime.queues.prefixOf(VERIFY_QUEUE)).toBe(`${hp.prefix}:{${VERIFY_QUEUE}}`)
    verdictGate = new Promise((r) => (release = r))
    const id = (await hp.api('POST', '/v1/checkpoints', { task: 'Verified on a cluster', responseSchema: approvalSchema, verify: { provider: 'function:policy', instructions: 'Approvals need a note.' }, resume: { webhook: { url: receiver.url } } })).body.id as string
    const first = await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    expect(first.status).toBe(200)
    expect(first.body.state).toBe('verifying')
    // While the verifier works, nobody else may answer.
    await eventually(async () => verifierCalls.some((c) => c.checkpointId === id))
    expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: false }, actor: 'ben' })).status).toBe(409)
    release()
    const back = await until(id, 'claimed')
    expect(back.verification).toMatchObject({ passed: false, reason: 'Say why.', attempts: 1 })
    expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: '  duplicate charge ' }, actor: 'ana' })).status).toBe(200)
    const done = await until(id, 'resolved')
    expect(done.response).toEqual({ approved: true, note: 'duplicate charge' })
    expect(verifierCalls.filter((c) => c.checkpointId === id).map((c) => c.attempt)).toEqual([1, 2])
    const resumes = await eventually(async () => {
      const got = receiver.received.filter((r) => JSON.parse(r.body).data.checkpointId === id)
      return got.length > 0 && got
    })
    await new Promise((r) => setTimeout(r, 500))
    expect(receiver.received.filter((r) => JSON.parse(r.body).data.checkpointId === id)).toHaveLength(resumes.length)
    expect(resumes).toHaveLength(1)
    expect((await kinds(id)).filter((k) => k === 'verified')).toHaveLength(2)
    expect((await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.chain.intact).toBe(true)
  })
})
