import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'
import { freePort } from './free-port.js'

/**
 * A real SMTP server for tests: it accepts mail on a local port, parses every message with
 * mailparser, and can refuse recipients with a chosen reply code (421 for a while, 550 for
 * good) the way a real server would.
 */
export interface SmtpSink {
  url: string
  messages: ParsedMail[]
  /** RCPT TO attempts per address, refused ones included. */
  attempts: Map<string, number>
  /** Refuse `address` with `code` for the next `times` attempts (Infinity: always). */
  refuse(address: string, code: number, times?: number): void
  to(address: string): ParsedMail[]
  close(): Promise<void>
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const port = await freePort()
  const messages: ParsedMail[] = []
  const attempts = new Map<string, number>()
  const refusals = new Map<string, { code: number; left: number }>()
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      const to = address.address.toLowerCase()
      attempts.set(to, (attempts.get(to) ?? 0) + 1)
      const refusal = refusals.get(to)
      if (refusal && refusal.left > 0) {
        refusal.left -= 1
        const error = Object.assign(new Error(refusal.code >= 500 ? 'No such mailbox here' : 'Try again later'), { responseCode: refusal.code })
        callback(error)
        return
      }
      callback()
    },
    onData(stream, _session, callback) {
      simpleParser(stream).then(
        (mail) => {
          messages.push(mail)
          callback()
        },
        (error: Error) => callback(error),
      )
    },
  })
  // A client killed mid-conversation (the chaos test SIGKILLs workers) resets its socket;
  // a real server logs that and carries on, so must this one.
  server.on('error', () => undefined)
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()))
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    attempts,
    refuse(address, code, times = Number.POSITIVE_INFINITY) {
      refusals.set(address.toLowerCase(), { code, left: times })
    },
    to(address) {
      const wanted = address.toLowerCase()
      return messages.filter((m) => {
        const to = Array.isArray(m.to) ? m.to : m.to ? [m.to] : []
        return to.some((t) => t.value.some((v) => v.address?.toLowerCase() === wanted))
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
