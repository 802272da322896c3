import { randomBytes } from 'node:crypto'
import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { spawnHoldpoint, type HoldpointProcess } from '../support/spawn-holdpoint.js'
import { startDnsStub, type DnsStub } from './support/dns-stub.js'
import { startDovecot, type Dovecot } from './support/dovecot.js'
import { quoted, replyMime } from './support/reply-mime.js'

/**
 * The IMAP reader and the reply jobs in a separate worker process, SIGKILLed while a batch of
 * replies is in flight: after a restart every reply has answered its checkpoint exactly once.
 */
let sink: SmtpSink
let imap: Dovecot
let dns: DnsStub
let hp: TestHoldpoint
let worker: HoldpointProcess | null = null
let env: Record<string, string>

beforeAll(async () => {
  ;[sink, imap, dns] = await Promise.all([startSmtpSink(), startDovecot(), startDnsStub()])
  hp = await startHoldpoint({
    worker: false,
    env: {
      SMTP_URL: sink.url,
      HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>',
      HOLDPOINT_EMAIL_REPLY_TO: 'approvals@replies.example.test',
      HOLDPOINT_IMAP_URL: imap.url,
      HOLDPOINT_IMAP_POLL_SECONDS: '0.2',
      HOLDPOINT_EMAIL_DNS_SERVERS: dns.server,
    },
  })
  env = { ...hp.env }
}, 60_000)
afterAll(async () => {
  await worker?.stop()
  await hp.close()
  await Promise.all([sink.close(), imap.close(), dns.close()])
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const positionKey = () => `${hp.prefix}:email:imap-position`
const audit = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: Record<string, unknown> }>
const state = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body.state as string

async function startWorker(): Promise<HoldpointProcess> {
  const child = spawnHoldpoint('worker', env)
  // The reader records its starting position on first contact; after that it reads.
  try {
    await eventually(async () => (await hp.redis.exists(positionKey())) === 1, 30_000, 100)
  } catch (error) {
    throw new Error(`the worker did not start reading: ${child.output().slice(-2000)}`, { cause: error })
  }
  return child
}

it('a reader SIGKILLed mid-batch answers every reply exactly once after restart', async () => {
  worker = await startWorker()
  const ids: string[] = []
  for (let i = 0; i < 10; i++) {
    const res = await hp.api('POST', '/v1/checkpoints', { task: `Refund #${i} (${randomBytes(3).toString('hex')})`, responseSchema: approvalSchema, notify: ['email:ana@example.com'], timeoutSeconds: 900 })
    expect(res.status).toBe(201)
    ids.push(res.body.id as string)
  }
  const mails = await eventually(async () => {
    const found = ids.map((id) => sink.to('ana@example.com').find((m) => m.messageId?.includes(id)))
    return found.every(Boolean) && (found as ParsedMail[])
  }, 30_000)
  const replies = await Promise.all(
    mails.map((m, i) => replyMime({ from: 'ana@example.com', to: m.replyTo!.value[0]!.address!, subject: `Re: ${m.subject ?? ''}`, text: quoted('gmail', i % 2 === 0 ? 'Yes' : 'No - not this one', m.text ?? ''), inReplyTo: m.messageId! })),
  )
  const client = await imap.client()
  try {
    for (const raw of replies) await client.append('INBOX', raw)
  } finally {
    await client.logout()
  }

  // Kill as soon as the first reply has landed: the rest of the batch is read, queued or running.
  await eventually(async () => (await Promise.all(ids.map(state))).some((s) => s === 'resolved'), 30_000, 10)
  await worker.kill()
  const answeredBeforeRestart = (await Promise.all(ids.map(state))).filter((s) => s === 'resolved').length
  expect(answeredBeforeRestart).toBeGreaterThan(0)

  worker = await startWorker()
  await eventually(async () => (await Promise.all(ids.map(state))).every((s) => s === 'resolved'), 45_000, 100)

  // A reader that lost its position (killed between queueing and saving it) reads again: nothing is answered twice.
  const last = JSON.parse((await hp.redis.get(positionKey()))!) as { uidValidity: string; lastUid: number }
  await hp.redis.set(positionKey(), JSON.stringify({ ...last, lastUid: 0 }))
  await eventually(async () => (JSON.parse((await hp.redis.get(positionKey()))!) as { lastUid: number }).lastUid === last.lastUid, 15_000, 100)
  await new Promise((r) => setTimeout(r, 1000))

  for (const [i, id] of ids.entries()) {
    const entries = await audit(id)
    expect(entries.filter((e) => e.kind === 'answered'), id).toHaveLength(1)
    expect(entries.some((e) => e.kind === 'refused')).toBe(false)
    const cp = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
    expect(cp.response).toEqual(i % 2 === 0 ? { approved: true } : { approved: false, note: 'not this one' })
  }
  expect(sink.to('ana@example.com').filter((m) => /already decided|could not read/.test(m.text ?? ''))).toHaveLength(0)
}, 150_000)
