import { createHash } from 'node:crypto'

/**
 * Message ids for one recipient's conversation about one checkpoint. The request mail's
 * id is stable (a retried send reuses it, so clients fold duplicates), and every later
 * mail (a reminder, the outcome) replies to it, so all land in one thread.
 */
export type MailKind = 'request' | 'outcome' | `reminder-${string}` | `verdict-${number}`

export interface ThreadHeaders {
  messageId: string
  inReplyTo?: string
  references?: string[]
}

export function mailDomain(from: string): string {
  const address = /<([^>]+)>/.exec(from)?.[1] ?? from
  const at = address.lastIndexOf('@')
  return at === -1 ? 'holdpoint.local' : address.slice(at + 1).trim().toLowerCase()
}

function recipientTag(recipient: string): string {
  return createHash('sha256').update(recipient.toLowerCase()).digest('hex').slice(0, 16)
}

export function threadHeaders(checkpointId: string, recipient: string, domain: string, kind: MailKind): ThreadHeaders {
  const root = `<${checkpointId}.${recipientTag(recipient)}@${domain}>`
  if (kind === 'request') return { messageId: root }
  return { messageId: `<${checkpointId}.${recipientTag(recipient)}.${kind}@${domain}>`, inReplyTo: root, references: [root] }
}
