import { createHash } from 'node:crypto'
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser'

/**
 * An inbound message as the reply pipeline sees it: who it claims to be from, whom it was
 * addressed to, whether a machine sent it, and its words. Anything over the size limit is
 * refused before a parser sees it.
 */
export const MAX_MESSAGE_BYTES = 2 * 1024 * 1024
/** Beyond this, a reply's words are not a decision anyone typed. */
const MAX_TEXT_CHARS = 64 * 1024

export interface InboundMail {
  messageId: string | null
  /** The From address, lower-cased, without display name. */
  from: string | null
  /** To, Cc, Delivered-To and X-Original-To addresses, lower-cased. */
  recipients: string[]
  subject: string
  /** Plain text of the message (HTML-only messages converted). */
  text: string
  /** Why a machine sent this (an auto-reply, a bounce, a list), or null for a person. */
  automated: string | null
}

export class MessageTooLarge extends Error {
  constructor(size: number) {
    super(`message of ${size} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit`)
    this.name = 'MessageTooLarge'
  }
}

/**
 * The job id of a message: its Message-ID with its body, so the same message read from IMAP
 * and posted by a provider (headers differ, body and Message-ID do not) is one job, while a
 * forgery reusing a genuine reply's Message-ID cannot take that reply's place.
 */
export function messageKey(raw: Buffer): string {
  const head = raw.subarray(0, Math.min(raw.length, 64 * 1024)).toString('latin1')
  const id = /^message-id:[ \t]*(<[^>\r\n]{1,500}>)/im.exec(head)?.[1]
  const split = /\r?\n\r?\n/.exec(head)
  const body = split ? raw.subarray(split.index + split[0].length) : raw
  return createHash('sha256')
    .update(id ? `id:${id.toLowerCase()}\n` : 'raw:\n')
    .update(id ? body.toString('latin1').replace(/\r/g, '').trimEnd() : raw.toString('latin1'))
    .digest('hex')
    .slice(0, 32)
}

function addresses(value: AddressObject | AddressObject[] | undefined): string[] {
  const list = value === undefined ? [] : Array.isArray(value) ? value : [value]
  const out: string[] = []
  const walk = (entries: AddressObject['value']) => {
    for (const e of entries) {
      if (e.address) out.push(e.address.toLowerCase())
      if (e.group) walk(e.group)
    }
  }
  for (const a of list) walk(a.value)
  return out
}

const headerLine = (mail: ParsedMail, name: string): string[] =>
  mail.headerLines.filter((h) => h.key === name).map((h) => h.line.slice(h.line.indexOf(':') + 1).trim())

const BARE_ADDRESS = /<?([^<>\s@]+@[^<>\s@]+)>?/

const OUT_OF_OFFICE =
  /^(auto(matic|matisch)?[\s-]*(reply|response|antwort|answer)|out of (the )?office|ooo\b|away from|on vacation|vacation reply|abwesenheit|absence|r[ée]ponse automatique|autosvar|fuera de la oficina|respuesta autom[aá]tica|undeliver(able|ed)|delivery status notification|mail delivery (failed|failure|subsystem)|returned mail)/i

/**
 * RFC 3834 and the common vendor headers: anything a machine sent answers nothing and gets no
 * reply, so two auto-responders can never talk to each other through Holdpoint.
 */
export function automatedReason(mail: ParsedMail): string | null {
  const auto = headerLine(mail, 'auto-submitted')[0]
  if (auto !== undefined && !/^no\b/i.test(auto)) return 'auto-submitted'
  if (headerLine(mail, 'x-autoreply').length > 0 || headerLine(mail, 'x-autorespond').length > 0 || headerLine(mail, 'x-autoresponse').length > 0) return 'autoreply header'
  const precedence = headerLine(mail, 'precedence')[0]
  if (precedence !== undefined && /^(bulk|auto_reply|list|junk)\b/i.test(precedence)) return 'precedence'
  if (headerLine(mail, 'list-id').length > 0 || headerLine(mail, 'list-unsubscribe').length > 0) return 'mailing list'
  const returnPath = headerLine(mail, 'return-path')[0]
  if (returnPath !== undefined && /^<\s*>$/.test(returnPath)) return 'null return path'
  if (/^multipart\/report\b/i.test(headerLine(mail, 'content-type')[0] ?? '')) return 'delivery report'
  if (OUT_OF_OFFICE.test((mail.subject ?? '').replace(/^\s*((re|aw|sv|fw|fwd):\s*)*/i, ''))) return 'out-of-office subject'
  const from = addresses(mail.from)[0] ?? ''
  if (/^(mailer-daemon|postmaster)@/i.test(from)) return 'mailer daemon'
  return null
}

export async function parseInbound(raw: Buffer): Promise<InboundMail> {
  if (raw.length > MAX_MESSAGE_BYTES) throw new MessageTooLarge(raw.length)
  const mail = await simpleParser(raw, { skipHtmlToText: false, skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, maxHtmlLengthToParse: 512 * 1024 })
  const delivered = [...headerLine(mail, 'delivered-to'), ...headerLine(mail, 'x-original-to')].flatMap((v) => {
    const m = BARE_ADDRESS.exec(v)
    return m?.[1] ? [m[1].toLowerCase()] : []
  })
  const text = typeof mail.text === 'string' && mail.text.trim() !== '' ? mail.text : ''
  return {
    messageId: typeof mail.messageId === 'string' ? mail.messageId.slice(0, 500) : null,
    from: addresses(mail.from)[0] ?? null,
    recipients: [...addresses(mail.to), ...addresses(mail.cc), ...delivered],
    subject: (mail.subject ?? '').slice(0, 500),
    text: text.slice(0, MAX_TEXT_CHARS),
    automated: automatedReason(mail),
  }
}
