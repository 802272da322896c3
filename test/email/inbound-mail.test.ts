import { describe, expect, it } from 'vitest'
import { messageKey, parseInbound } from '../../channels/email/inbound-mail.js'

const mime = (headers: string[], body = 'Yes\r\n') => Buffer.from(`${headers.join('\r\n')}\r\n\r\n${body}`)
const base = ['From: Ana <Ana@Example.com>', 'To: approvals+abc@replies.example.test', 'Subject: Re: [Holdpoint] Refund?', 'Message-ID: <m1@client.example>']

describe('message keys', () => {
  it('are one job for one message seen through two paths, and differ for a forgery reusing its Message-ID', () => {
    const imap = mime(['Received: from mx by imap', ...base])
    const http = mime(['X-Forwarded-By: provider', ...base], 'Yes\n')
    expect(messageKey(imap)).toBe(messageKey(http))
    expect(messageKey(mime(base, 'No\r\n'))).not.toBe(messageKey(imap))
    const noId = mime(base.slice(0, 3))
    expect(messageKey(noId)).toBe(messageKey(Buffer.from(noId)))
    expect(messageKey(noId)).not.toBe(messageKey(mime(base.slice(0, 3), 'No')))
  })
})

describe('parsing', () => {
  it('keeps the sender and recipients lower-cased, display names dropped, Delivered-To included', async () => {
    const mail = await parseInbound(mime(['Delivered-To: approvals+XYZ@replies.example.test', ...base]))
    expect(mail.from).toBe('ana@example.com')
    expect(mail.recipients).toEqual(['approvals+abc@replies.example.test', 'approvals+xyz@replies.example.test'])
    expect(mail.automated).toBeNull()
  })

  it.each([
    [['Auto-Submitted: auto-replied'], 'auto-submitted'],
    [['X-Autorespond: 1'], 'autoreply header'],
    [['Precedence: list'], 'precedence'],
    [['List-Id: <team.example.com>'], 'mailing list'],
    [['Return-Path: <>'], 'null return path'],
    [['Content-Type: multipart/report; report-type=delivery-status; boundary=x'], 'delivery report'],
  ])('%j is a machine: %s', async (headers, reason) => {
    expect((await parseInbound(mime([...base, ...headers]))).automated).toBe(reason)
  })

  it.each(['Automatic reply: [Holdpoint] Refund?', 'Out of Office: back Monday', 'Re: Abwesenheitsnotiz', 'Undeliverable: [Holdpoint] Refund?'])('subject %j is a machine', async (subject) => {
    const headers = base.map((h) => (h.startsWith('Subject:') ? `Subject: ${subject}` : h))
    expect((await parseInbound(mime(headers))).automated).not.toBeNull()
  })

  it('lets a person who says "Auto-Submitted: no" through', async () => {
    expect((await parseInbound(mime([...base, 'Auto-Submitted: no']))).automated).toBeNull()
  })
})
