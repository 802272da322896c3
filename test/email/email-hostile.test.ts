import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { MAX_MESSAGE_BYTES, MessageTooLarge, messageKey, parseInbound } from '../../channels/email/inbound-mail.js'
import { readReply } from '../../channels/email/reply-reading.js'
import { stripQuoted } from '../../channels/email/reply-text.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { startDnsStub, type DnsStub } from './support/dns-stub.js'
import { quoted, replyMime } from './support/reply-mime.js'

/** Hostile MIME: malformed headers, unknown and broken charsets and encodings, deep nesting, raw bytes. */
const CHARSETS = ['utf-8', 'x-unknown', 'utf-7', 'iso-2022-jp', 'gb18030', 'utf-16', '', '"', 'ebcdic-cp-us', 'windows-1252;;']
const ENCODINGS = ['base64', 'quoted-printable', '8bit', '7bit', 'x-uuencode', 'garbage', '']
const TYPES = ['text/plain', 'text/html', 'multipart/mixed', 'multipart/alternative', 'message/rfc822', 'multipart/report', 'application/octet-stream', 'text/', '/']

const headerValue: fc.Arbitrary<string> = fc.oneof(fc.string({ maxLength: 200 }), fc.constantFrom('=?x-bogus?B?####?=', '=?utf-8?Q?=E2=80?=', '<<<>>>', '"unterminated', '\u0000\u0001', 'a'.repeat(5000)))
const leaf = fc.record({
  type: fc.constantFrom(...TYPES),
  charset: fc.constantFrom(...CHARSETS),
  encoding: fc.constantFrom(...ENCODINGS),
  body: fc.oneof(fc.string({ maxLength: 2000 }), fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b).toString('latin1')), fc.constant('<html><body><p>yes<p><b><i><table>'.repeat(200))),
})

function nest(depth: number, inner: string, boundarySeed: string, closed: boolean): string {
  let part = inner
  for (let i = 0; i < depth; i++) {
    const b = `b${boundarySeed}${i}`
    part = `Content-Type: multipart/mixed; boundary="${b}"\r\n\r\n--${b}\r\n${part}\r\n${closed ? `--${b}--\r\n` : ''}`
  }
  return part
}

const hostileMime = (headers: string[] = []) =>
  fc
    .record({
      extra: fc.array(fc.tuple(fc.constantFrom('Subject', 'From', 'To', 'Cc', 'Message-ID', 'Content-Type', 'Auto-Submitted', 'Return-Path', 'Received', 'DKIM-Signature', 'X-Weird'), headerValue), { maxLength: 8 }),
      leaf,
      depth: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 50, max: 300 })),
      closed: fc.boolean(),
      seed: fc.integer({ min: 0, max: 0xffffff }).map((n) => n.toString(16)),
      junk: fc.uint8Array({ maxLength: 512 }),
    })
    .map(({ extra, leaf: l, depth, closed, seed, junk }) => {
      const part = `Content-Type: ${l.type}; charset=${l.charset}\r\nContent-Transfer-Encoding: ${l.encoding}\r\n\r\n${l.body}`
      const head = [...headers, ...extra.map(([k, v]) => `${k}: ${v.replace(/\r?\n/g, ' ')}`)].join('\r\n')
      return Buffer.concat([Buffer.from(`${head}\r\nMIME-Version: 1.0\r\n${nest(depth, part, seed, closed)}`, 'latin1'), Buffer.from(junk)])
    })

describe('parsing hostile MIME', () => {
  it('never throws anything but "too large", and stays fast', async () => {
    await fc.assert(
      fc.asyncProperty(hostileMime(), async (raw) => {
        const started = Date.now()
        const mail = await parseInbound(raw)
        const text = stripQuoted(mail.text)
        readReply(approvalSchema, text)
        expect(Date.now() - started).toBeLessThan(3000)
      }),
      { numRuns: 150 },
    )
  }, 120_000)

  it('refuses a message over the limit before parsing it', async () => {
    const started = Date.now()
    await expect(parseInbound(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 'a'))).rejects.toBeInstanceOf(MessageTooLarge)
    expect(Date.now() - started).toBeLessThan(50)
  })
})

describe('the worker under hostile replies', () => {
  const SECRET = randomBytes(24).toString('base64url')
  let sink: SmtpSink
  let dns: DnsStub
  let hp: TestHoldpoint

  beforeAll(async () => {
    ;[sink, dns] = await Promise.all([startSmtpSink(), startDnsStub()])
    hp = await startHoldpoint({
      env: {
        SMTP_URL: sink.url,
        HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>',
        HOLDPOINT_EMAIL_REPLY_TO: 'approvals@replies.example.test',
        HOLDPOINT_EMAIL_INBOUND_SECRET: SECRET,
        HOLDPOINT_EMAIL_DNS_SERVERS: dns.server,
        HOLDPOINT_EMAIL_REPLIES_PER_HOUR: '1000',
      },
    })
  }, 60_000)
  afterAll(async () => {
    await hp.close()
    await Promise.all([sink.close(), dns.close()])
    await deleteKeys(testRedisUrl(), hp.prefix)
  })

  const post = (raw: Buffer) => fetch(`${hp.url}/email/inbound`, { method: 'POST', headers: { 'content-type': 'message/rfc822', authorization: `Bearer ${SECRET}` }, body: new Uint8Array(raw) })

  async function requestFor(): Promise<{ id: string; mail: ParsedMail }> {
    const res = await hp.api('POST', '/v1/checkpoints', { task: `Refund? (${randomBytes(3).toString('hex')})`, responseSchema: approvalSchema, notify: ['email:ana@example.org'], timeoutSeconds: 900 })
    const id = res.body.id as string
    const mail = await eventually(async () => sink.to('ana@example.org').find((m) => m.messageId?.includes(id)))
    return { id, mail }
  }

  it('handles every hostile message that passes the address check without a failed job, and still answers a good reply', async () => {
    const { mail } = await requestFor()
    const address = mail.replyTo!.value[0]!.address!
    const samples = fc.sample(hostileMime([`From: ana@example.org`, `To: ${address}`, `Message-ID: <${randomBytes(6).toString('hex')}@hostile>`]), 30)
    const queue = hp.runtime.queues.get('email-inbound')
    const ids = new Set<string>()
    for (const [i, raw] of samples.entries()) {
      // A unique Message-ID per sample (the generator may add its own), so none dedupes another.
      const unique = Buffer.concat([Buffer.from(`Message-ID: <h${i}.${randomBytes(4).toString('hex')}@hostile>\r\n`), raw])
      const res = await post(unique)
      expect([202, 413]).toContain(res.status)
      if (res.status === 202) ids.add(`m.${messageKey(unique)}`)
    }
    for (const id of ids) {
      await eventually(async () => {
        const job = await queue.getJob(id)
        if (job && job.attemptsMade > 0 && job.failedReason) throw new Error(`job failed: ${job.failedReason}`)
        return job && (await job.isCompleted())
      }, 20_000)
    }
    const good = await requestFor()
    const raw = await replyMime({ from: 'ana@example.org', to: good.mail.replyTo!.value[0]!.address!, subject: `Re: ${good.mail.subject ?? ''}`, text: quoted('outlook', 'Yes', good.mail.text ?? '') })
    expect((await post(raw)).status).toBe(202)
    const done = await eventually(async () => {
      const cp = (await hp.api('GET', `/v1/checkpoints/${good.id}`)).body
      return cp.state === 'resolved' && cp
    }, 15_000)
    expect(done.response).toEqual({ approved: true })
  }, 120_000)
})
