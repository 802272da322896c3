import type { Actor } from '../../machine/types.js'
import type { MessageRefs } from './message-refs.js'
import { isBroadcast } from './recipients.js'

/**
 * A person who acts on a broadcast message has shown they are in that channel, so they carry
 * its identity (`slack:#approvals`). That is what lets `assignTo` default to the notified
 * channel: everyone in it may claim, and the first claim wins.
 */
export async function channelIdentities(refs: MessageRefs, checkpointId: string, channel: string | null, messageTs: string | null): Promise<string[]> {
  if (!channel || !messageTs) return []
  const owner = await refs.threadOwner(channel, messageTs)
  const shown = owner !== null && (owner.batch ? owner.batch.members.includes(checkpointId) : owner.checkpointId === checkpointId)
  return shown && isBroadcast(owner.recipient) ? [owner.recipient] : []
}

/**
 * Email addresses match whatever their case (`slack:Ana@Example.com` in `assignTo` is Ana),
 * but the machine compares identities as exact strings; so the actor also carries the
 * spelling the checkpoint used.
 */
export function withAssignedSpelling(actor: Actor, assignTo: readonly string[]): Actor {
  const mine = new Set((actor.identities ?? []).map((i) => i.toLowerCase()))
  const extra = assignTo.filter((target) => target.includes('@') && !actor.identities?.includes(target) && mine.has(target.toLowerCase()))
  return extra.length === 0 ? actor : { ...actor, identities: [...(actor.identities ?? []), ...extra] }
}
