import { z } from 'zod'
import { dashboardChannelPlugin } from '../channels/dashboard/plugin.js'
import { Directory } from '../engine/directory.js'
import { Accounts } from '../http/dashboard/accounts.js'
import { ChannelCatalog } from '../plugins/channel-catalog.js'
import type { Config } from './config.js'
import type { Keys } from '../engine/keys.js'
import type { RedisClient } from '../engine/redis-client.js'
import { RedisConnections } from './redis-connections.js'
import { loadPeopleFile } from './people-file.js'
import { PLUGINS } from './plugins.js'

/**
 * Set-up commands that talk to Redis directly (`operator add`, `people import`): a
 * production deployment has no dev-mode first-run link, and nothing may need to be running
 * yet. They use the same directory and invites as the server, under the configured prefix.
 */
async function withDirectory<T>(config: Config, work: (directory: Directory, redis: RedisClient, keys: Keys) => Promise<T>): Promise<T> {
  const connections = new RedisConnections(config)
  const keys = connections.keys()
  const redis = connections.open('command')
  redis.on('error', () => undefined)
  try {
    // Every registered channel's handle rules, like the server's: a handle of a channel that
    // is off today is still validated and kept.
    const rules = new ChannelCatalog([dashboardChannelPlugin, ...PLUGINS], new Set()).handleRules()
    return await work(new Directory(redis, keys.group('dir'), rules), redis, keys)
  } finally {
    redis.disconnect()
  }
}

const operatorInput = z.object({ email: z.email().transform((e) => e.toLowerCase()), name: z.string().trim().min(1, 'is required').max(200) })

/**
 * Makes the person with this email an operator (adding them when absent) and returns a
 * one-time setup link, the same invite the People page mints (7 days, one use). For an
 * existing account the link sets a new password: it is also the way back in for a locked-out
 * operator, so it is printed only to whoever can reach Redis and the secrets.
 */
export async function addOperator(config: Config, input: { email: string | undefined; name: string | undefined }): Promise<{ link: string; personId: string; created: boolean }> {
  const parsed = operatorInput.safeParse(input)
  if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; '))
  const { email, name } = parsed.data
  return withDirectory(config, async (directory, redis, keys) => {
    // The dashboard's group of keys (what its plugin's KeySpace.root('dash') gives).
    const accounts = new Accounts(redis, keys.group('dash'), directory)
    const existing = await directory.findBy('email', email)
    const person = await directory.upsert(existing ? { ...existing, role: 'operator' } : { id: await accounts.freeId({ email, name }), name, email, role: 'operator' })
    const token = await accounts.mintInvite(person.id)
    return { link: `${config.publicUrl}/setup/${token}`, personId: person.id, created: existing === null }
  })
}

/** `people import <file>`: the HOLDPOINT_PEOPLE_FILE format, upserted the same way. */
export async function importPeople(config: Config, file: string): Promise<number> {
  return withDirectory(config, (directory) => loadPeopleFile(file, directory, file))
}
