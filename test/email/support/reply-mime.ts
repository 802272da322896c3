import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { dkimSign } from 'mailauth'
import MailComposer from 'nodemailer/lib/mail-composer/index.js'

/**
 * Replies as real mail clients write them (Gmail, Outlook, Apple Mail quoting; HTML-only),
 * built with nodemailer's composer and, for the domain whose key the DNS stub publishes,
 * DKIM-signed with mailauth: the signature is verified for real by the server under test.
 */
export interface SigningKey {
  domain: string
  selector: string
  privateKey: string
  /** The TXT record to publish at `<selector>._domainkey.<domain>`. */
  record: string
}

export function signingKey(domain: string, selector = 'hp'): SigningKey {
  // 1024 bits keeps the TXT record inside one plain UDP answer.
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  const p = publicKey.export({ type: 'spki', format: 'der' }).toString('base64')
  return { domain, selector, privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), record: `v=DKIM1; k=rsa; p=${p}` }
}

export type Client = 'gmail' | 'outlook' | 'apple'

/** The words the person typed, followed by the history and signature their client adds. */
export function quoted(client: Client, typed: string, original: string, signature?: string): string {
  const sig = signature ? `\n\n-- \n${signature}` : ''
  const quote = original
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n')
  switch (client) {
    case 'gmail':
      return `${typed}${sig}\n\nOn Tue, Dec 1, 2026 at 12:00 PM Holdpoint <holdpoint@example.test>\nwrote:\n\n${quote}\n`
    case 'outlook':
      return `${typed}${sig}\n\n________________________________\nFrom: Holdpoint <holdpoint@example.test>\nSent: Tuesday, December 1, 2026 12:00 PM\nTo: Ana <ana@example.com>\nSubject: [Holdpoint] Approve\n\n${original}\n`
    case 'apple':
      return `${typed}${sig}\n\nSent from my iPhone\n\n> On 1 Dec 2026, at 12:00, Holdpoint <holdpoint@example.test> wrote:\n> \n${quote}\n`
  }
}

export interface ReplyOptions {
  from: string
  to: string
  subject: string
  text?: string
  html?: string
  inReplyTo?: string
  headers?: Record<string, string>
  messageId?: string
  sign?: SigningKey
}

export async function replyMime(opts: ReplyOptions): Promise<Buffer> {
  const composer = new MailComposer({
    from: opts.from,
    to: opts.to,
    subject: opts.subject,
    ...(opts.text !== undefined && { text: opts.text }),
    ...(opts.html !== undefined && { html: opts.html }),
    messageId: opts.messageId ?? `<${randomBytes(8).toString('hex')}@client.example>`,
    ...(opts.inReplyTo !== undefined && { inReplyTo: opts.inReplyTo, references: opts.inReplyTo }),
    ...(opts.headers && { headers: opts.headers }),
  })
  const raw = await composer.compile().build()
  if (!opts.sign) return raw
  const key = { signingDomain: opts.sign.domain, selector: opts.sign.selector, privateKey: opts.sign.privateKey }
  // The runtime reads `signatureData`; the bundled types describe the flat shape only.
  const options = { ...key, signatureData: [key] }
  const signed = await dkimSign(raw, options)
  if (signed.errors.length > 0) throw new Error('DKIM signing failed')
  return Buffer.concat([Buffer.from(signed.signatures), raw])
}
