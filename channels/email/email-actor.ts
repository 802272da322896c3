import type { Directory } from '../../engine/directory.js'
import type { Actor } from '../../machine/types.js'

/**
 * The Actor for an email recipient. Addresses compare case-insensitively, but `assignTo`
 * keeps the agent's spelling (`email:Ana@Example.com`), so the matching spellings are
 * added to the identities the machine checks.
 */
export async function emailActor(directory: Directory, address: string, assignTo: readonly string[]): Promise<Actor> {
  const actor = await directory.actorFor('email', address)
  const own = `email:${actor.actor}`
  const spelled = assignTo.filter((target) => target !== own && target.toLowerCase() === own)
  return spelled.length === 0 ? actor : { ...actor, identities: [...(actor.identities ?? []), ...spelled] }
}
