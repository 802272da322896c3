/**
 * The three shapes of a Slack recipient string (api.md): `slack:#channel` is a broadcast
 * where the first claim wins; `slack:@U…`, `slack:U…` and `slack:person@example.com` are a
 * direct message to one person.
 */
export type SlackTarget = { kind: 'channel'; channel: string } | { kind: 'user'; userId: string } | { kind: 'email'; email: string }

const USER_ID = /^[UW][A-Z0-9]{2,30}$/
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const CHANNEL_ID = /^[CG][A-Z0-9]{2,30}$/

export function parseRecipient(recipient: string): SlackTarget | null {
  if (!recipient.startsWith('slack:')) return null
  const handle = recipient.slice('slack:'.length)
  if (handle.startsWith('#')) {
    const name = handle.slice(1)
    if (name === '') return null
    // Slack accepts a channel id or a `#name` wherever a conversation is expected.
    return { kind: 'channel', channel: CHANNEL_ID.test(name) ? name : `#${name}` }
  }
  const user = handle.startsWith('@') ? handle.slice(1) : handle
  if (USER_ID.test(user)) return { kind: 'user', userId: user }
  if (EMAIL.test(handle)) return { kind: 'email', email: handle.toLowerCase() }
  return null
}

export function isBroadcast(recipient: string): boolean {
  return parseRecipient(recipient)?.kind === 'channel'
}
