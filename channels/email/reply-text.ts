import EmailReplyParser from 'email-reply-parser'

/**
 * What the person wrote, without the history their client quoted or their signature. The
 * library handles `>` quoting, "On … wrote:" lines and `-- ` signatures; the cuts before it
 * catch the quote headers it misses (Outlook's header block, Apple Mail's "On … at …, X
 * wrote:" split over two lines, "Sent from my …").
 */
const QUOTE_STARTS: readonly RegExp[] = [
  /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original)\s*-{2,}\s*$/im,
  /^_{10,}\s*$/m,
  // Outlook's header block: "From: …" followed within a few lines by "Sent:" / "Date:".
  /^\**(from|von|de)\**:\s.*\n(.*\n){0,3}?\**(sent|gesendet|envoyé|enviado|date)\**:\s/im,
  // Gmail and Apple Mail: "On <date>, <name> wrote:", possibly wrapped onto the next line.
  /^(>\s*)?(on|am|le|el)\s[^\n]{1,200}(\n[^\n]{0,200})?\s(wrote|schrieb|a écrit|escribió)\s?:\s*$/im,
  /^(sent from my|gesendet von meinem|envoyé de mon)\s.*$/im,
]

export function stripQuoted(text: string): string {
  let body = text.replace(/\r\n?/g, '\n')
  for (const start of QUOTE_STARTS) {
    const match = start.exec(body)
    if (match) body = body.slice(0, match.index)
  }
  const reply = new EmailReplyParser().parseReply(body)
  return reply
    .split('\n')
    .filter((line) => !line.startsWith('>'))
    .join('\n')
    .trim()
}

/** The first paragraph, on one line: where a decision and its reason are. */
export function firstParagraph(text: string): string {
  const para = text.split(/\n\s*\n/).find((p) => p.trim() !== '') ?? ''
  return para.replace(/\s+/g, ' ').trim()
}
