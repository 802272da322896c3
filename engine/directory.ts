import type { RedisClient } from './redis-client.js'
import { z } from 'zod'
import type { Actor } from '../machine/types.js'
import { Absences, type Absence } from './absences.js'

/**
 * The people Holdpoint knows: reviewers and operators, their groups, and a handle on each
 * channel. Channels turn "chat user U1 clicked" into an Actor whose identities the machine
 * checks against `assignTo`; the dashboard keeps accounts here too.
 *
 * The directory knows no channel by name: each channel plugin contributes `HandleRule`s
 * (which field of a person it reads, how it validates, which routing strings it makes).
 */
export interface HandleRule {
  /** The channel this handle belongs to (`chat`). */
  channel: string
  /** The person's field that holds it (`chatId`). `email` is a core field channels may read too. */
  field: string
  pattern: RegExp
  /** Said when a value does not match `pattern`. */
  message: string
  normalize?(value: string): string
  /** Routing strings that name whoever holds this value (what `assignTo` entries can match). */
  identities(value: string): string[]
  /** The recipient string that reaches them on this channel (`<channel>:…`), when this handle can be delivered to. */
  recipient?(value: string): string
  /** Indexed for `findBy(channel, value)` (unique across people). */
  lookup?: boolean
}

const baseShape = {
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)'),
  name: z.string().trim().min(1).max(200),
  role: z.enum(['operator', 'reviewer']).default('reviewer'),
  email: z.email().transform((e) => e.toLowerCase()).optional(),
  groups: z.array(z.string().regex(/^[\w.-]{1,64}$/)).default([]),
}

/** A person as stored: the core fields plus one optional string per channel handle. */
export type Person = { id: string; name: string; role: 'operator' | 'reviewer'; email?: string; groups: string[] } & { [handle: string]: unknown }
export type PersonInput = { id: string; name: string; role?: 'operator' | 'reviewer'; email?: string; groups?: string[] } & { [handle: string]: unknown }

/** The person schema for a set of handle rules: core fields plus each handle field, validated. */
export function personSchemaFor(rules: readonly HandleRule[]): z.ZodType<Person, PersonInput> {
  const shape: Record<string, z.ZodType> = { ...baseShape }
  for (const rule of rules) {
    if (rule.field in shape) continue
    const field = z.string().trim().regex(rule.pattern, rule.message)
    shape[rule.field] = (rule.normalize ? field.transform((v) => rule.normalize?.(v) ?? v) : field).optional()
  }
  return z.object(shape).strict() as unknown as z.ZodType<Person, PersonInput>
}

/** Someone away and the person covering for them, both as stored now. */
export interface Cover {
  absence: Absence
  away: Person
  delegate: Person
}

export class Directory {
  /** Validates a person against the core fields and every registered channel's handle. */
  readonly personSchema: z.ZodType<Person, PersonInput>
  readonly absences: Absences

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    readonly rules: readonly HandleRule[] = [],
    clock: () => number = Date.now,
  ) {
    this.personSchema = personSchemaFor(rules)
    this.absences = new Absences(redis, prefix, clock)
  }

  private personKey(id: string) {
    return `${this.prefix}:person:${id}`
  }
  private get peopleKey() {
    return `${this.prefix}:people`
  }
  private handleKey(channel: string) {
    return `${this.prefix}:people:by-${channel}`
  }

  private valueOf(p: Person, rule: HandleRule): string | null {
    const value = p[rule.field]
    return typeof value === 'string' && value !== '' ? value : null
  }

  /** The indexed handles: email (for sign-in) and each channel's lookup handle. */
  private indexed(p: Person): Array<[string, string]> {
    const out: Array<[string, string]> = p.email ? [['email', p.email]] : []
    for (const rule of this.rules) {
      const value = this.valueOf(p, rule)
      if (rule.lookup && value !== null && rule.channel !== 'email') out.push([rule.channel, value])
    }
    return out
  }

  /** Creates or replaces a person, keeping the handle indexes in step in one transaction. */
  async upsert(input: PersonInput): Promise<Person> {
    const person = this.personSchema.parse(input)
    const previous = await this.get(person.id)
    const tx = this.redis.multi()
    if (previous) for (const [kind, value] of this.indexed(previous)) tx.hdel(this.handleKey(kind), value)
    for (const [kind, value] of this.indexed(person)) tx.hset(this.handleKey(kind), value, person.id)
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
    for (const [kind, value] of this.indexed(previous)) tx.hdel(this.handleKey(kind), value)
    await tx.del(this.personKey(id)).srem(this.peopleKey, id).exec()
    await this.absences.clear(id)
    for (const hook of this.removeHooks) await hook(id)
  }

  private readonly removeHooks: Array<(id: string) => Promise<void>> = []

  /** Runs after a person is removed: channels drop what they keep under the person's id (push devices). */
  onRemove(hook: (id: string) => Promise<void>): void {
    this.removeHooks.push(hook)
  }

  /** The person whose `channel` handle (or email, for `email`) is `value`. */
  async findBy(channel: string, value: string): Promise<Person | null> {
    const rule = this.rules.find((r) => r.channel === channel && r.lookup)
    const normalized = channel === 'email' ? value.toLowerCase() : (rule?.normalize?.(value) ?? value)
    const id = await this.redis.hget(this.handleKey(channel), normalized)
    return id ? this.get(id) : null
  }

  async membersOf(group: string): Promise<Person[]> {
    return (await this.list()).filter((p) => p.groups.includes(group))
  }

  /** Where a person can be reached on the channels this deployment runs (`email:…`, `chat:U…`, …). */
  reachableAt(p: Person, enabledChannels: ReadonlySet<string>): string[] {
    const out = new Set<string>()
    for (const rule of this.rules) {
      const value = this.valueOf(p, rule)
      if (value !== null && rule.recipient && enabledChannels.has(rule.channel)) out.add(rule.recipient(value))
    }
    return [...out]
  }

  /** Every routing string that names this person: what `assignTo` entries can match. */
  identities(p: Person): string[] {
    const out = new Set(['dashboard', `user:${p.id}`])
    for (const rule of this.rules) {
      const value = this.valueOf(p, rule)
      if (value !== null) for (const id of rule.identities(value)) out.add(id)
    }
    for (const g of p.groups) out.add(`group:${g}`)
    return [...out]
  }

  /**
   * The Actor for someone acting on a channel. Unknown people still act under their channel
   * handle (an email recipient with no account), which `assignTo` can name directly.
   */
  async actorFor(channel: string, handle: string, displayName?: string): Promise<Actor> {
    const rule = this.rules.find((r) => r.channel === channel && r.lookup)
    const value = rule?.normalize ? rule.normalize(handle) : handle
    const person = await this.findBy(channel, value)
    const own = rule ? rule.identities(value) : [`${channel}:${value}`]
    const acting = person ? await this.acting(person) : null
    const identities = acting ? [...new Set([...own, ...acting.identities])] : own
    const name = person?.name ?? displayName
    return { channel, actor: value, identities, ...(name !== undefined && { name }), ...(acting && acting.covering.length > 0 && { covering: acting.covering }) }
  }

  /** Absences in force now, with both people; one whose away person or delegate is gone lends nothing. */
  async coversNow(): Promise<Cover[]> {
    const out: Cover[] = []
    for (const absence of await this.absences.activeNow()) {
      const [away, delegate] = await Promise.all([this.get(absence.personId), this.get(absence.delegateTo)])
      if (away && delegate) out.push({ absence, away, delegate })
    }
    return out
  }

  /**
   * The identities a person acts with right now: their own first (quorum counts a person by
   * their first `user:` identity), then those lent by everyone they cover for. One hop only:
   * a delegate who is away themselves does not pass on what was lent to them.
   */
  async acting(p: Person): Promise<{ identities: string[]; covering: NonNullable<Actor['covering']> }> {
    const own = this.identities(p)
    const covering: NonNullable<Actor['covering']> = []
    for (const cover of await this.coversNow()) {
      if (cover.delegate.id !== p.id || cover.away.id === p.id) continue
      // Everyone has `dashboard`; lending it would mark every answer as delegated.
      const lent = this.identities(cover.away).filter((i) => i !== 'dashboard' && !own.includes(i))
      if (lent.length > 0) covering.push({ person: cover.away.id, identities: lent })
    }
    return { identities: [...new Set([...own, ...covering.flatMap((c) => c.identities)])], covering }
  }

  /**
   * Delivery while someone is away: each recipient string that reaches an away person is
   * replaced by where their delegate is reachable. A delegate reachable on none of the
   * running channels leaves the original recipient in place, so nothing is silently dropped.
   */
  async redirectAway(recipients: readonly string[], enabledChannels: ReadonlySet<string>): Promise<{ recipients: string[]; redirected: Array<{ from: string; to: string[]; away: string; delegate: string }> }> {
    // Only what a channel makes from a person's handle can reach someone away; a delivery to
    // nobody's handle (the dashboard, most often) needs no read of the absences.
    const personal = recipients.some((r) => this.rules.some((rule) => rule.recipient !== undefined && enabledChannels.has(rule.channel) && r.startsWith(`${rule.channel}:`)))
    const covers = personal ? await this.coversNow() : []
    if (covers.length === 0) return { recipients: [...recipients], redirected: [] }
    const out = new Set<string>()
    const redirected: Array<{ from: string; to: string[]; away: string; delegate: string }> = []
    for (const recipient of recipients) {
      const cover = covers.find((c) => this.reachableAt(c.away, enabledChannels).includes(recipient))
      const to = cover ? this.reachableAt(cover.delegate, enabledChannels) : []
      if (!cover || to.length === 0) {
        out.add(recipient)
        continue
      }
      for (const r of to) out.add(r)
      redirected.push({ from: recipient, to, away: cover.away.id, delegate: cover.delegate.id })
    }
    return { recipients: [...out], redirected }
  }
}
