import type { Redis } from 'ioredis'
import { z } from 'zod'
import type { Actor, ActorChannel } from '../machine/types.js'

/**
 * The people Holdpoint knows: reviewers and operators with their handles on each channel and
 * their groups. Channels turn "Slack user U1 clicked" into an Actor whose identities the
 * machine checks against `assignTo`; the dashboard keeps accounts here too.
 */
export const personSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)'),
  name: z.string().trim().min(1).max(200),
  role: z.enum(['operator', 'reviewer']).default('reviewer'),
  email: z.email().transform((e) => e.toLowerCase()).optional(),
  slackId: z.string().regex(/^[UW][A-Z0-9]{2,30}$/).optional(),
  telegramChatId: z.string().regex(/^-?\d{1,20}$/).optional(),
  groups: z.array(z.string().regex(/^[\w.-]{1,64}$/)).default([]),
})

export type Person = z.output<typeof personSchema>
export type PersonInput = z.input<typeof personSchema>

type Handle = 'email' | 'slack' | 'telegram'

export class Directory {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private personKey(id: string) {
    return `${this.prefix}:person:${id}`
  }
  private get peopleKey() {
    return `${this.prefix}:people`
  }
  private handleKey(kind: Handle) {
    return `${this.prefix}:people:by-${kind}`
  }

  private static handles(p: Person): Array<[Handle, string]> {
    const out: Array<[Handle, string]> = []
    if (p.email) out.push(['email', p.email])
    if (p.slackId) out.push(['slack', p.slackId])
    if (p.telegramChatId) out.push(['telegram', p.telegramChatId])
    return out
  }

  /** Creates or replaces a person, keeping the handle indexes in step in one transaction. */
  async upsert(input: PersonInput): Promise<Person> {
    const person = personSchema.parse(input)
    const previous = await this.get(person.id)
    const tx = this.redis.multi()
    if (previous) for (const [kind, value] of Directory.handles(previous)) tx.hdel(this.handleKey(kind), value)
    for (const [kind, value] of Directory.handles(person)) tx.hset(this.handleKey(kind), value, person.id)
    tx.set(this.personKey(person.id), JSON.stringify(person))
    tx.sadd(this.peopleKey, person.id)
    await tx.exec()
    return person
  }

  async get(id: string): Promise<Person | null> {
    const raw = await this.redis.get(this.personKey(id))
    return raw ? (JSON.parse(raw) as Person) : null
  }

  async list(): Promise<Person[]> {
    const ids = await this.redis.smembers(this.peopleKey)
    const people = await Promise.all(ids.sort().map((id) => this.get(id)))
    return people.filter((p): p is Person => p !== null)
  }

  async remove(id: string): Promise<void> {
    const previous = await this.get(id)
    if (!previous) return
    const tx = this.redis.multi()
    for (const [kind, value] of Directory.handles(previous)) tx.hdel(this.handleKey(kind), value)
    await tx.del(this.personKey(id)).srem(this.peopleKey, id).exec()
  }

  async findBy(kind: Handle, value: string): Promise<Person | null> {
    const id = await this.redis.hget(this.handleKey(kind), kind === 'email' ? value.toLowerCase() : value)
    return id ? this.get(id) : null
  }

  async membersOf(group: string): Promise<Person[]> {
    return (await this.list()).filter((p) => p.groups.includes(group))
  }

  /** Where a person can be reached on the channels this deployment runs (`email:…`, `slack:U…`, `telegram:…`). */
  static reachableAt(p: Person, enabledChannels: ReadonlySet<string>): string[] {
    const out: string[] = []
    if (p.email && enabledChannels.has('email')) out.push(`email:${p.email}`)
    if (p.slackId && enabledChannels.has('slack')) out.push(`slack:${p.slackId}`)
    if (p.telegramChatId && enabledChannels.has('telegram')) out.push(`telegram:${p.telegramChatId}`)
    return out
  }

  /** Every routing string that names this person: what `assignTo` entries can match. */
  static identities(p: Person): string[] {
    const out = ['dashboard', `user:${p.id}`]
    if (p.email) out.push(`email:${p.email}`, `slack:${p.email}`)
    if (p.slackId) out.push(`slack:${p.slackId}`, `slack:@${p.slackId}`)
    if (p.telegramChatId) out.push(`telegram:${p.telegramChatId}`)
    for (const g of p.groups) out.push(`group:${g}`)
    return out
  }

  /**
   * The Actor for someone acting on a channel. Unknown people still act under their channel
   * handle (an email recipient with no account), which `assignTo` can name directly.
   */
  async actorFor(channel: Exclude<ActorChannel, 'api' | 'system' | 'dashboard'>, handle: string, displayName?: string): Promise<Actor> {
    const person = await this.findBy(channel, handle)
    const own = channel === 'slack' ? [`slack:${handle}`, `slack:@${handle}`] : [`${channel}:${channel === 'email' ? handle.toLowerCase() : handle}`]
    const identities = person ? [...new Set([...own, ...Directory.identities(person)])] : own
    const name = person?.name ?? displayName
    return { channel, actor: channel === 'email' ? handle.toLowerCase() : handle, identities, ...(name !== undefined && { name }) }
  }
}
