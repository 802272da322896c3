import type { RedisClient } from './redis-client.js'
import { z } from 'zod'

/**
 * "Away from … to …, delegate to …". Kept apart from the person record so that the people
 * file and the People form, which replace whole records, never erase an absence.
 *
 * An absence only lends: while `from <= now < to` the delegate answers to the away person's
 * routing identities and receives what would have reached them. Nothing is moved, so when
 * the period ends nothing has to move back; what the delegate already answered stays theirs.
 */
export const absenceSchema = z
  .object({
    from: z.iso.datetime({ offset: true }),
    to: z.iso.datetime({ offset: true }),
    delegateTo: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a person id'),
  })
  .strict()
  .refine((a) => Date.parse(a.from) < Date.parse(a.to), { path: ['to'], message: 'must be after from' })

export type AbsenceInput = z.output<typeof absenceSchema>

export interface Absence {
  personId: string
  from: number
  to: number
  delegateTo: string
  /** Who set it: the person themselves or an operator. */
  setBy: string
}

const stored = z.object({ personId: z.string(), from: z.number(), to: z.number(), delegateTo: z.string(), setBy: z.string() })

export class Absences {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly clock: () => number = Date.now,
  ) {}

  // One hash for every absence: deployments have tens to hundreds of people, and routing
  // reads them all at once (who covers whom right now).
  private get key() {
    return `${this.prefix}:people:away`
  }

  now(): number {
    return this.clock()
  }

  async set(personId: string, input: AbsenceInput, setBy: string): Promise<Absence> {
    const absence: Absence = { personId, from: Date.parse(input.from), to: Date.parse(input.to), delegateTo: input.delegateTo, setBy }
    await this.redis.hset(this.key, personId, JSON.stringify(absence))
    return absence
  }

  async clear(personId: string): Promise<void> {
    await this.redis.hdel(this.key, personId)
  }

  async get(personId: string): Promise<Absence | null> {
    const raw = await this.redis.hget(this.key, personId)
    return raw ? parseStored(raw) : null
  }

  /** Absences in force at this moment (past and future ones are kept but lend nothing). */
  async activeNow(): Promise<Absence[]> {
    const now = this.clock()
    const all = Object.values(await this.redis.hgetall(this.key))
    return all.map(parseStored).filter((a): a is Absence => a !== null && a.from <= now && now < a.to)
  }

  isActive(a: Absence): boolean {
    const now = this.clock()
    return a.from <= now && now < a.to
  }
}

function parseStored(raw: string): Absence | null {
  try {
    const parsed = stored.safeParse(JSON.parse(raw))
    return parsed.success ? parsed.data : null
  } catch {
    return null
  }
}
