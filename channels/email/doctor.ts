import { ImapFlow } from 'imapflow'
import { createTransport } from 'nodemailer'
import type { DoctorCheck } from '../../plugins/plugin.js'
import { imapConnection } from './imap-reader.js'

/** Connects and authenticates to the SMTP server without sending anything. */
export async function smtpDoctor(smtpUrl: string, from: string): Promise<DoctorCheck> {
  const transport = createTransport(smtpUrl)
  try {
    await transport.verify()
    return { name: 'smtp', ok: true, detail: `connected and authenticated, sending as ${from}` }
  } catch (error) {
    return { name: 'smtp', ok: false, detail: (error as Error).message, fix: 'check SMTP_URL (smtp://user:pass@host:port or smtps://…), see docs/email.md' }
  } finally {
    transport.close()
  }
}

/** Logs in to the reply mailbox and opens it, read-only; nothing is read or flagged. */
export async function imapDoctor(imapUrl: string): Promise<DoctorCheck> {
  const c = imapConnection(imapUrl)
  const client = new ImapFlow({ host: c.host, port: c.port, secure: c.secure, auth: { user: c.user, pass: c.pass }, logger: false, connectionTimeout: 10_000 })
  client.on('error', () => undefined)
  try {
    await client.connect()
    await client.mailboxOpen(c.mailbox, { readOnly: true })
    return { name: 'imap', ok: true, detail: `logged in, ${c.mailbox} is readable` }
  } catch (error) {
    // The kind of failure only: server replies can echo the account.
    const reason = (error as { authenticationFailed?: boolean }).authenticationFailed ? 'authentication failed' : (error as Error).name
    return { name: 'imap', ok: false, detail: reason, fix: 'check HOLDPOINT_IMAP_URL (imaps://user:pass@host:993/INBOX), see docs/email.md' }
  } finally {
    await client.logout().catch(() => undefined)
  }
}

/** One line for `holdpoint doctor`: SMTP, and the reply mailbox when one is configured. */
export async function emailDoctor(smtpUrl: string, from: string, imapUrl: string | undefined): Promise<DoctorCheck> {
  const smtp = await smtpDoctor(smtpUrl, from)
  if (imapUrl === undefined) return smtp
  const imap = await imapDoctor(imapUrl)
  return {
    name: 'smtp + imap',
    ok: smtp.ok && imap.ok,
    detail: `${smtp.detail}; imap: ${imap.detail}`,
    ...((smtp.fix ?? imap.fix) !== undefined && { fix: (smtp.fix ?? imap.fix)! }),
  }
}
