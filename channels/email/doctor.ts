import { createTransport } from 'nodemailer'
import type { DoctorCheck } from '../../plugins/plugin.js'

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
