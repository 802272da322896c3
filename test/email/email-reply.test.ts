import { randomBytes } from 'node:crypto'
import type { ParsedMail } from 'mailparser'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { EmailChannel } from '../../channels/email/email-channel.js'
import { messageKey } from '../../channels/email/inbound-mail.js'
import { toView } from '../../engine/checkpoint-view.js'
import { FakeAnthropic } from '../support/fake-anthropic.js'
import { reading, type Brain } from '../support/fake-model.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { startDnsStub, type DnsStub } from './support/dns-stub.js'
import { startDovecot, type Dovecot } from './support/dovecot.js'
import { quoted, replyMime, signingKey, type Client, type ReplyOptions, type SigningKey } from './support/reply-mime.js'

const SECRET = randomBytes(24).toString('base64url')

let sink: SmtpSink
let imap: Dovecot
let dns: DnsStub
let model: FakeAnthropic
let hp: TestHoldpoint
let exampleKey: SigningKey

/** The fake model reads "refund <n>" as a partial refund of n with the rest as the note. */
const brain: Brain = (call) => {
  const text = String(call.data?.text ?? '')
  const amount = /(\d+)/.exec(text)?.[1]
  if (!amount) return reading(null, 'No amount was given.')
  return reading({ amount: Number(amount), note: 'partial refund' }, `You want a refund of ${amount}.`)
}

beforeAll(async () => {
  exampleKey = signingKey('example.com')
  ;[sink, imap, dns, model] = await Promise.all([
    startSmtpSink(),
    startDovecot(),
    startDnsStub({
      'hp._domainkey.example.com': [exampleKey.record],
      '_dmarc.example.com': ['v=DMARC1; p=reject'],
      '_dmarc.strict.test': ['v=DMARC1; p=reject'],
    }),
    new FakeAnthropic(brain).start(),
  ])
  hp = await startHoldpoint({
    env: {
      SMTP_URL: sink.url,
      HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>',
      HOLDPOINT_EMAIL_REPLY_TO: 'approvals@replies.example.test',
      HOLDPOINT_IMAP_URL: imap.url,
      HOLDPOINT_IMAP_POLL_SECONDS: '0.3',
      HOLDPOINT_EMAIL_INBOUND_SECRET: SECRET,
      HOLDPOINT_EMAIL_DNS_SERVERS: dns.server,
      HOLDPOINT_EMAIL_REPLIES_PER_HOUR: '30',
      ANTHROPIC_API_KEY: model.apiKey,
      ANTHROPIC_BASE_URL: model.url,
    },
  })
}, 60_000)
afterAll(async () => {
  await hp.close()
  await Promise.all([sink.close(), imap.close(), dns.close(), model.close()])
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const refund = (extra: Record<string, unknown> = {}) => ({
  task: `Approve a $250 refund for cus_42? (${randomBytes(3).toString('hex')})`,
  payload: { amountUsd: 250 },
  responseSchema: approvalSchema,
  timeoutSeconds: 900,
  ...extra,
})

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', body)
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

const checkpoint = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}`)).body
const audit = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; actor: Record<string, unknown>; data?: Record<string, unknown> }>

async function requestMail(address: string, id: string): Promise<ParsedMail> {
  return eventually(async () => sink.to(address).find((m) => m.messageId?.includes(id) && !m.messageId.includes('.outcome@')))
}

const replyAddress = (mail: ParsedMail): string => {
  const address = mail.replyTo?.value[0]?.address
  if (!address) throw new Error('the request mail has no Reply-To')
  return address
}

/** A reply to a request mail, as `client` quotes it, signed for example.com unless told otherwise. */
async function reply(mail: ParsedMail, typed: string, opts: Partial<ReplyOptions> & { client?: Client; signature?: string } = {}): Promise<Buffer> {
  const from = opts.from ?? (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.value[0]?.address ?? ''
  const sign = opts.sign ?? (from.endsWith('@example.com') ? exampleKey : undefined)
  return replyMime({
    from,
    to: opts.to ?? replyAddress(mail),
    subject: `Re: ${mail.subject ?? ''}`,
    text: quoted(opts.client ?? 'gmail', typed, mail.text ?? '', opts.signature),
    ...(mail.messageId !== undefined && { inReplyTo: mail.messageId }),
    ...opts,
    ...(sign && { sign }),
  })
}

const post = (raw: Buffer, secret: string | null = SECRET) =>
  fetch(`${hp.url}/email/inbound`, { method: 'POST', headers: { 'content-type': 'message/rfc822', ...(secret !== null && { authorization: `Bearer ${secret}` }) }, body: new Uint8Array(raw) })

/** The inbound job's result once a worker handled it: proof that a message was processed. */
async function handled(raw: Buffer): Promise<string> {
  const queue = hp.runtime.queues.get('email-inbound')
  return eventually(async () => {
    const id = `m.${messageKey(raw)}`
    const job = await queue.getJob(id)
    if (!job || !(await job.isCompleted())) return null
    // Fetched again: the first read may predate the completion and carry no return value.
    const done = await queue.getJob(id)
    return typeof done?.returnvalue === 'string' ? done.returnvalue : null
  }, 15_000)
}

const resolved = (id: string) =>
  eventually(async () => {
    const cp = await checkpoint(id)
    return cp.state === 'resolved' && cp
  }, 15_000)

describe('request mails', () => {
  it('carry a short signed reply sub-address and Auto-Submitted', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com', 'email:bob@example.com'], assignTo: ['email:ana@example.com'] }))
    const mail = await requestMail('ana@example.com', id)
    const address = replyAddress(mail)
    expect(address).toMatch(/^approvals\+[a-z2-7]{26}@replies\.example\.test$/)
    expect(address.split('@')[0]!.length).toBeLessThanOrEqual(64)
    expect(mail.headers.get('auto-submitted')).toBe('auto-generated')
    // Someone who may not answer gets no reply address to misuse.
    expect((await requestMail('bob@example.com', id)).replyTo).toBeUndefined()
  })

  it('reminders carry a fresh reply address that answers too', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const request = await requestMail('ana@example.com', id)
    const channel = hp.runtime.channels.get('email') as EmailChannel
    await channel.remind({ checkpoint: toView((await hp.runtime.engine.get(id))!, hp.url), recipient: 'email:ana@example.com', deliveryId: `${id}.r1` })
    const reminder = await eventually(async () => sink.to('ana@example.com').find((m) => m.messageId?.includes(id) && m.messageId.includes('.reminder-')))
    expect(replyAddress(reminder)).not.toBe(replyAddress(request))
    await imap.append(await reply(reminder, 'yes'))
    expect((await resolved(id)).response).toEqual({ approved: true })
  })
})

describe('answering by reply', () => {
  const cases: Array<{ client: Client; typed: string; signature?: string; expected: Record<string, unknown>; via: 'imap' | 'http' }> = [
    { client: 'gmail', typed: 'Yes', expected: { approved: true }, via: 'imap' },
    { client: 'outlook', typed: 'No – it was not a duplicate\n\nBest,\nAna', signature: 'Ana Smith\nHead of Finance', expected: { approved: false, note: 'it was not a duplicate' }, via: 'imap' },
    { client: 'apple', typed: 'no. Not before the audit!', expected: { approved: false, note: 'Not before the audit!' }, via: 'http' },
    { client: 'gmail', typed: '👍 looks right', signature: 'Ana', expected: { approved: true, note: 'looks right' }, via: 'http' },
  ]
  for (const c of cases) {
    it(`reads "${c.typed.split('\n')[0]!}" quoted by ${c.client} (${c.via}) as ${JSON.stringify(c.expected)}`, async () => {
      const id = await create(refund({ notify: ['email:ana@example.com'] }))
      const raw = await reply(await requestMail('ana@example.com', id), c.typed, { client: c.client, ...(c.signature !== undefined && { signature: c.signature }) })
      if (c.via === 'imap') await imap.append(raw)
      else expect((await post(raw)).status).toBe(202)
      const done = await resolved(id)
      expect(done.response).toEqual(c.expected)
      expect(done.respondedBy).toMatchObject({ channel: 'email', actor: 'ana@example.com' })
      const answered = (await audit(id)).find((e) => e.kind === 'answered')
      expect(answered?.data).toMatchObject({ via: 'email-reply', messageId: expect.stringMatching(/^<.+@client\.example>$/), auth: { dmarc: 'pass', dkim: [{ domain: 'example.com', result: 'pass' }] } })
    })
  }

  it('reads an HTML-only reply', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const mail = await requestMail('ana@example.com', id)
    const raw = await replyMime({
      from: 'ana@example.com',
      to: replyAddress(mail),
      subject: `Re: ${mail.subject ?? ''}`,
      html: `<div dir="ltr">Approved, <b>thanks</b></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Dec 1, 2026 at 12:00 PM Holdpoint &lt;holdpoint@example.test&gt; wrote:<br></div><blockquote class="gmail_quote">Approve a refund?</blockquote></div>`,
      sign: exampleKey,
    })
    await imap.append(raw)
    expect((await resolved(id)).response).toEqual({ approved: true, note: 'thanks' })
  })

  it('flags processed messages \\Seen and keeps its position in Redis', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const uid = await imap.append(await reply(await requestMail('ana@example.com', id), 'ok'))
    await resolved(id)
    const position = await eventually(async () => {
      const p = JSON.parse((await hp.redis.get(`${hp.prefix}:email:imap-position`)) ?? 'null') as { lastUid: number } | null
      return p && p.lastUid >= uid && p
    })
    expect(position.lastUid).toBeGreaterThanOrEqual(uid)
    const client = await imap.client()
    try {
      await client.mailboxOpen('INBOX')
      const msg = await client.fetchOne(String(uid), { flags: true }, { uid: true })
      expect(msg && [...(msg.flags ?? [])]).toContain('\\Seen')
    } finally {
      await client.logout()
    }
  })
})

describe('refused replies change nothing and are audited', () => {
  async function refusedWith(id: string, raw: Buffer, reason: string) {
    await imap.append(raw)
    const entry = await eventually(async () => (await audit(id)).find((e) => e.kind === 'refused' && e.data?.reason === reason))
    expect(entry.data).toMatchObject({ via: 'email-reply', attempted: 'answered' })
    const cp = await checkpoint(id)
    expect(cp.response).toBeNull()
    expect(cp.state).toMatch(/pending|delivered/)
    return entry
  }

  it('another sender', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const entry = await refusedWith(id, await reply(await requestMail('ana@example.com', id), 'Yes', { from: 'mallory@example.com' }), 'wrong_sender')
    expect(entry.actor).toMatchObject({ channel: 'email', actor: 'mallory@example.com' })
  })

  it('a tampered sub-address', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const mail = await requestMail('ana@example.com', id)
    const address = replyAddress(mail)
    const at = address.indexOf('@')
    const flipped = `${address.slice(0, at - 1)}${address[at - 1] === 'a' ? 'b' : 'a'}${address.slice(at)}`
    await refusedWith(id, await reply(mail, 'Yes', { to: flipped }), 'tampered_address')
  })

  it('a DMARC fail', async () => {
    const id = await create(refund({ notify: ['email:eve@strict.test'] }))
    const entry = await refusedWith(id, await reply(await requestMail('eve@strict.test', id), 'Yes'), 'dmarc_fail')
    expect(entry.data?.auth).toMatchObject({ dmarc: 'fail' })
  })

  it('a reply to a finished checkpoint: nothing changes, one "already decided" mail per sender', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com', 'email:bob@example.com'] }))
    const anaMail = await requestMail('ana@example.com', id)
    const bobMail = await requestMail('bob@example.com', id)
    await imap.append(await reply(anaMail, 'Yes'))
    await resolved(id)
    const version = (await checkpoint(id)).version
    const late = [await reply(bobMail, 'No, stop'), await reply(bobMail, 'No!! really')]
    for (const raw of late) await imap.append(raw)
    for (const raw of late) expect(await handled(raw)).toMatch(/^finished/)
    const decided = sink.to('bob@example.com').filter((m) => /already decided/.test(m.text ?? ''))
    expect(decided).toHaveLength(1)
    expect(decided[0]!.text).toContain('Answered: Approve by ana@example.com (email)')
    expect(decided[0]!.headers.get('auto-submitted')).toBe('auto-replied')
    expect(decided[0]!.inReplyTo).toMatch(/@client\.example>$/)
    const cp = await checkpoint(id)
    expect(cp.version).toBe(version)
    expect(cp.response).toEqual({ approved: true })
  })
})

describe('floods', () => {
  it('refuses a sender past the hourly limit once in the audit, then drops the rest', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const mail = await requestMail('ana@example.com', id)
    const flood = await Promise.all(Array.from({ length: 32 }, (_, i) => reply(mail, `Yes ${i}`, { from: 'flood@example.com' })))
    for (const raw of flood) expect((await post(raw)).status).toBe(202)
    const results = await Promise.all(flood.map(handled))
    expect(results.filter((r) => r === 'refused: wrong_sender')).toHaveLength(30)
    expect(results.filter((r) => r === 'refused: rate_limited')).toHaveLength(1)
    expect(results.filter((r) => r === 'ignored: rate limited')).toHaveLength(1)
    const refusals = (await audit(id)).filter((e) => e.kind === 'refused')
    expect(refusals.filter((e) => e.data?.reason === 'rate_limited')).toHaveLength(1)
    expect(refusals).toHaveLength(31)
    expect((await checkpoint(id)).response).toBeNull()
  })
})

describe('mail loops', () => {
  it('an out-of-office reply is ignored and gets no answer', async () => {
    const id = await create(refund({ notify: ['email:ana@example.com'] }))
    const mail = await requestMail('ana@example.com', id)
    const before = sink.to('ana@example.com').length
    const autos = [
      await reply(mail, 'Yes — I am out of the office until Monday.', { subject: `Automatic reply: ${mail.subject ?? ''}` }),
      await reply(mail, 'Yes', { headers: { 'Auto-Submitted': 'auto-replied' } }),
      await reply(mail, 'Yes', { headers: { Precedence: 'bulk' } }),
      await reply(mail, 'Yes', { headers: { 'X-Autoreply': 'yes' } }),
    ]
    for (const raw of autos) await imap.append(raw)
    for (const raw of autos) expect(await handled(raw)).toMatch(/^ignored: /)
    expect(sink.to('ana@example.com')).toHaveLength(before)
    expect((await checkpoint(id)).response).toBeNull()
    expect((await audit(id)).some((e) => e.kind === 'refused' || e.kind === 'answered')).toBe(false)
  })
})

describe('schemas a rule cannot read', () => {
  it('proposes an answer read by the model, and a confirm link resolves it', async () => {
    const schema = { type: 'object', properties: { amount: { type: 'number' }, note: { type: 'string' } }, required: ['amount', 'note'], additionalProperties: false }
    const id = await create(refund({ notify: ['email:ana@example.com'], responseSchema: schema }))
    const raw = await reply(await requestMail('ana@example.com', id), 'Refund 120 only, the rest was a fee.')
    await imap.append(raw)
    const proposal = await eventually(async () => sink.to('ana@example.com').find((m) => /I read your reply as/.test(m.text ?? '') && m.subject?.includes(id.slice(-3)) !== undefined && m.inReplyTo !== undefined && (m.text ?? '').includes('amount: 120')))
    expect(proposal.headers.get('auto-submitted')).toBe('auto-replied')
    const link = /Confirm: (\S+\/m\/\S+)/.exec(proposal.text ?? '')?.[1]
    expect(link).toBeDefined()
    // Opening it (a scanner, or the person) changes nothing.
    const page = await fetch(link!)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('Confirm: amount: 120 · note: partial refund')
    expect((await checkpoint(id)).response).toBeNull()
    const confirmed = await fetch(link!, { method: 'POST', headers: { origin: new URL(link!).origin, 'sec-fetch-site': 'same-origin' } })
    expect(confirmed.status).toBe(200)
    const done = await resolved(id)
    expect(done.response).toEqual({ amount: 120, note: 'partial refund' })
    const answered = (await audit(id)).find((e) => e.kind === 'answered')
    expect(answered).toMatchObject({ actor: { channel: 'email', actor: 'ana@example.com' }, data: { via: 'email-reply', messageId: expect.stringMatching(/@client\.example>$/) } })
    // Single use.
    expect((await fetch(link!, { method: 'POST', headers: { origin: new URL(link!).origin, 'sec-fetch-site': 'same-origin' } })).status).toBe(409)
  })

  it('says what it could not read when the model finds no answer', async () => {
    const schema = { type: 'object', properties: { amount: { type: 'number' }, note: { type: 'string' } }, required: ['amount', 'note'] }
    const id = await create(refund({ notify: ['email:ana@example.com'], responseSchema: schema }))
    const raw = await reply(await requestMail('ana@example.com', id), 'Let me think about it.')
    await imap.append(raw)
    expect(await handled(raw)).toBe('unreadable')
    const mail = sink.to('ana@example.com').find((m) => /I could not read an answer/.test(m.text ?? '') && (m.text ?? '').includes('No amount was given'))
    expect(mail).toBeDefined()
    expect(mail!.replyTo?.value[0]?.address).toMatch(/^approvals\+/)
    expect((await checkpoint(id)).response).toBeNull()
  })
})

describe('POST /email/inbound', () => {
  it('is 401 without the secret and 202 with it', async () => {
    const raw = await replyMime({ from: 'someone@example.org', to: 'approvals@replies.example.test', subject: 'hello', text: 'hi' })
    expect((await post(raw, null)).status).toBe(401)
    expect((await post(raw, 'wrong-secret-wrong-secret')).status).toBe(401)
    expect((await post(raw)).status).toBe(202)
    expect(await handled(raw)).toBe('ignored: not a reply to Holdpoint')
    // The job stays to recognise the message again; the message itself is gone from Redis.
    const job = await hp.runtime.queues.get('email-inbound').getJob(`m.${messageKey(raw)}`)
    expect(job?.data).toEqual({ sealed: null, source: 'http' })
    expect((await post(raw)).status).toBe(202)
    const big = Buffer.alloc(2 * 1024 * 1024 + 1, 'a')
    expect((await post(big)).status).toBe(413)
  })
})
