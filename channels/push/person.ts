import type { Directory, Person } from '../../engine/directory.js'
import type { Actor } from '../../machine/types.js'

/** `push:<email or username>`: the person it names, looked up by address or id. */
export async function personOf(directory: Directory, recipient: string): Promise<Person | null> {
  const handle = recipient.slice(recipient.indexOf(':') + 1).toLowerCase()
  return handle.includes('@') ? directory.findBy('email', handle) : directory.get(handle)
}

/** Someone answering from a notification: the push channel, every identity the directory knows. */
export async function pushActor(directory: Directory, person: Person): Promise<Actor> {
  const { identities, covering } = await directory.acting(person)
  return { channel: 'push', actor: person.id, name: person.name, identities, ...(covering.length > 0 && { covering }) }
}
