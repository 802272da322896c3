import nodemailer, { type Transporter } from 'nodemailer'
import { PermanentDeliveryError } from '../../plugins/channel.js'
import type { ComposedMail } from './email-message.js'
import type { ThreadHeaders } from './threading.js'

/**
 * The SMTP side: one nodemailer transport over SMTP_URL. A 5xx reply means the server will
 * never take this message (unknown mailbox, policy): that is permanent and stops retrying.
 * Everything else (4xx like 421, a dropped connection, a timeout) is left to BullMQ's backoff.
 */
export interface OutgoingMail extends ComposedMail, ThreadHeaders {
  to: string
  /** The signed reply sub-address, when replies are read. */
  replyTo?: string
  /** `auto-replied` for answers to someone's mail (RFC 3834); requests are `auto-generated`. */
  autoSubmitted?: 'auto-generated' | 'auto-replied'
}

interface SmtpError {
  responseCode?: number
  code?: string
}

export class SmtpMailer {
  private readonly transport: Transporter

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport(smtpUrl)
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({
        from: this.from,
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        messageId: mail.messageId,
        ...(mail.inReplyTo !== undefined && { inReplyTo: mail.inReplyTo }),
        ...(mail.references !== undefined && { references: mail.references }),
        ...(mail.replyTo !== undefined && { replyTo: mail.replyTo }),
        // Never auto-answered (out-of-office replies would loop through the reply mailbox).
        headers: { 'Auto-Submitted': mail.autoSubmitted ?? 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
      })
    } catch (error) {
      const { responseCode, code } = error as SmtpError
      // Only the status travels on: SMTP replies can quote the message, which holds links.
      if (typeof responseCode === 'number' && responseCode >= 500) {
        throw new PermanentDeliveryError(`SMTP server rejected the message permanently (${responseCode}${code ? ` ${code}` : ''})`)
      }
      throw new Error(`SMTP send failed${typeof responseCode === 'number' ? ` (${responseCode})` : ''}${code ? ` ${code}` : ''}; will retry`, { cause: error })
    }
  }

  close(): void {
    this.transport.close()
  }
}
