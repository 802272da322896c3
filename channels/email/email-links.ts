import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { mintDashboardLink } from '../../engine/dashboard-grant.js'
import type { Directory } from '../../engine/directory.js'
import type { Keyring } from '../../engine/keyring.js'
import { mayAct } from '../../machine/identity.js'
import { oneClickChoices } from '../common/answer-choices.js'
import { emailActor } from './email-actor.js'
import type { RequestLinks } from './email-message.js'
import { linkTtlSeconds, mintMagicLink, newNonce } from './magic-link.js'

/**
 * Which links one recipient gets: answer links for a one-click schema, a signed dashboard
 * form for a richer one, and only a read-only view for someone notified but not assigned.
 */
export interface LinkDeps {
  keyring: Keyring
  directory: Directory
  publicUrl: string
}

export async function linksFor(deps: LinkDeps, cp: CheckpointView, address: string, now = Date.now()): Promise<RequestLinks> {
  const ttlSeconds = linkTtlSeconds(cp.expiresAt, now)
  const n = newNonce()
  const mint = (a: number | 'v') => mintMagicLink({ keyring: deps.keyring, publicUrl: deps.publicUrl, claims: { cp: cp.id, to: address, a, n }, ttlSeconds, now })
  const actor = await emailActor(deps.directory, address, cp.assignTo)
  if (!mayAct({ assignTo: cp.assignTo }, actor)) return { answers: [], view: mint('v') }
  const choices = oneClickChoices(cp.responseSchema)
  if (choices) return { answers: choices.map((c, i) => ({ label: c.label, url: mint(i) })) }
  const form = mintDashboardLink({ keyring: deps.keyring, publicUrl: deps.publicUrl, checkpointId: cp.id, channel: 'email', handle: address, ttlSeconds })
  return { answers: [], form }
}

/**
 * A batch mail's "Approve all" link for one address: bound to the batch (through a member,
 * which carries the agent token) and the address, with a nonce of its own. It lives as long as
 * the longest-lived member's links.
 */
export function approveAllLink(deps: LinkDeps, batchId: string, members: CheckpointView[], address: string, now = Date.now()): string | null {
  const [first] = members
  if (!first) return null
  const ttlSeconds = Math.max(...members.map((cp) => linkTtlSeconds(cp.expiresAt, now)))
  return mintMagicLink({ keyring: deps.keyring, publicUrl: deps.publicUrl, claims: { cp: first.id, to: address, a: 'b', b: batchId, n: newNonce() }, ttlSeconds, now })
}
