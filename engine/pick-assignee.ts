import type { RedisClient } from './redis-client.js'
import type { CreateSpec } from './create-spec.js'
import type { Directory} from './directory.js';
import { type Person } from './directory.js'
import { ValidationFailed } from './problems.js'

/**
 * `pick: "least-recently-assigned"`: instead of asking a whole group, assign one member —
 * the one whose last pick is oldest (never picked counts as oldest; ties go by id). The
 * picked person becomes `assignTo` (`user:<id>`) and is notified on their own channels in
 * place of the group. Two creates racing for the same group may pick the same person; the
 * rotation evens out over the next picks.
 */
export type Assigner = (spec: CreateSpec) => Promise<CreateSpec>

export function leastRecentlyAssigned(directory: Directory, redis: RedisClient, prefix: string, enabledChannels: () => ReadonlySet<string>, clock: () => number = Date.now): Assigner {
  const key = `${prefix}:pick:last`
  return async (spec) => {
    if (spec.pick === undefined) return spec
    const groups = (spec.assignTo ?? spec.notify).filter((r) => r.startsWith('group:')).map((r) => r.slice('group:'.length))
    if (groups.length === 0) throw new ValidationFailed([{ path: '/pick', message: 'pick needs a group:<name> in assignTo (or notify)' }])
    const members = new Map<string, Person>()
    for (const group of groups) for (const person of await directory.membersOf(group)) members.set(person.id, person)
    if (members.size === 0) throw new ValidationFailed([{ path: '/pick', message: `no one is in ${groups.map((g) => `group:${g}`).join(', ')}` }])
    const ids = [...members.keys()].sort()
    const scores = await redis.zmscore(key, ...ids)
    let chosen = ids[0]!
    let oldest = Infinity
    ids.forEach((id, i) => {
      const score = scores[i] == null ? -Infinity : Number(scores[i])
      if (score < oldest) {
        oldest = score
        chosen = id
      }
    })
    await redis.zadd(key, clock(), chosen)
    const person = members.get(chosen)!
    const notify = [...new Set([...spec.notify.filter((r) => !r.startsWith('group:')), ...directory.reachableAt(person, enabledChannels())])]
    return { ...spec, assignTo: [`user:${person.id}`], notify: notify.length > 0 ? notify : ['dashboard'] }
  }
}
