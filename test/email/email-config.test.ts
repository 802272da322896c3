import { describe, expect, it } from 'vitest'
import { emailPlugin } from '../../channels/email/plugin.js'

const base = { SMTP_URL: 'smtp://127.0.0.1:25', HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>' }
const problems = (env: Record<string, string>) => {
  const loaded = emailPlugin.load({ ...base, ...env })
  return 'problems' in loaded ? loaded.problems : []
}

describe('reply settings', () => {
  it('refuse a reply mailbox nobody reads, and ways in without a reply mailbox', () => {
    expect(problems({ HOLDPOINT_EMAIL_REPLY_TO: 'approvals@example.test' })).toEqual([{ variable: 'HOLDPOINT_EMAIL_REPLY_TO', message: expect.stringContaining('needs HOLDPOINT_IMAP_URL or HOLDPOINT_EMAIL_INBOUND_SECRET') }])
    expect(problems({ HOLDPOINT_IMAP_URL: 'imaps://u:p@imap.example.test/INBOX' })).toEqual([{ variable: 'HOLDPOINT_IMAP_URL', message: expect.stringContaining('needs HOLDPOINT_EMAIL_REPLY_TO') }])
    expect(problems({ HOLDPOINT_EMAIL_REPLY_TO: 'approvals@example.test', HOLDPOINT_EMAIL_INBOUND_SECRET: 'short' })[0]?.variable).toBe('HOLDPOINT_EMAIL_INBOUND_SECRET')
    expect(problems({ HOLDPOINT_EMAIL_REPLY_TO: 'approvals+x@example.test', HOLDPOINT_IMAP_URL: 'imap://u:p@h/INBOX' })[0]?.message).toContain('without a +tag')
    expect(problems({ HOLDPOINT_EMAIL_REPLY_TO: 'approvals@example.test', HOLDPOINT_IMAP_URL: 'pop3://u:p@h' })[0]?.variable).toBe('HOLDPOINT_IMAP_URL')
  })

  it('accept either way in, or both', () => {
    expect(problems({ HOLDPOINT_EMAIL_REPLY_TO: 'Approvals@Example.test', HOLDPOINT_EMAIL_INBOUND_SECRET: 'x'.repeat(16) })).toEqual([])
    expect(problems({ HOLDPOINT_EMAIL_REPLY_TO: 'approvals@example.test', HOLDPOINT_IMAP_URL: 'imaps://u:p@imap.example.test:993/INBOX', HOLDPOINT_EMAIL_INBOUND_SECRET: 'x'.repeat(16) })).toEqual([])
  })
})
