/**
 * Teams recipients: `teams:channel:<conversation id>` (a channel; anyone in it may claim,
 * the first claim wins) and `teams:<AAD object id or user principal name>` (a personal chat
 * with the bot). Conversation ids look like `19:…@thread.tacv2`; a thread suffix
 * (`;messageid=…`) names a reply chain, never a channel.
 */
export const AAD_OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
export const UPN = /^[^\s@:]+@[^\s@:]+\.[^\s@:]+$/
const CONVERSATION_ID = /^[\w.@:=+-]{3,300}$/

export const RECIPIENT_PATTERN = /^teams:(channel:[\w.@:=+-]{3,300}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[^\s@:]+@[^\s@:]+\.[^\s@:]+)$/i

export type TeamsTarget = { kind: 'channel'; conversationId: string } | { kind: 'person'; handle: string }

export function parseRecipient(recipient: string): TeamsTarget | null {
  if (!recipient.startsWith('teams:')) return null
  const rest = recipient.slice('teams:'.length)
  if (rest.startsWith('channel:')) {
    const conversationId = rest.slice('channel:'.length)
    return CONVERSATION_ID.test(conversationId) ? { kind: 'channel', conversationId } : null
  }
  return AAD_OBJECT_ID.test(rest) || UPN.test(rest) ? { kind: 'person', handle: rest.toLowerCase() } : null
}

/** Object ids and principal names compare case-insensitively; channel ids are kept as written. */
export function normalizeRecipient(recipient: string): string {
  const target = parseRecipient(recipient)
  return target?.kind === 'person' ? `teams:${target.handle}` : recipient
}

/** The channel a conversation id belongs to, without the reply-chain suffix. */
export function baseConversationId(conversationId: string): string {
  const cut = conversationId.indexOf(';')
  return cut === -1 ? conversationId : conversationId.slice(0, cut)
}
