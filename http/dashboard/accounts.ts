import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import type { Directory, Person, PersonInput } from '../../engine/directory.js'
import { DashKeys } from './keys.js'
import { DUMMY_HASH, hashPassword, verifyPassword } from './passwords.js'

/**
 * Dashboard accounts: people from the directory plus a password hash in our own key.
 * Invites are one-time links (`/setup/<token>`) that let a person choose their password;
 * the first-run link does the same for the first operator, who does not exist yet.
 */
export type Invite = { kind: 'first-operator' } | { kind: 'person'; personId: string }

export const INVITE_TTL_SECONDS = 7 * 24 * 60 * 60

export class Accounts {
  private readonly keys: DashKeys

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
    readonly directory: Directory,
  ) {
    this.keys = new DashKeys(prefix)
  }

  async operatorExists(): Promise<boolean> {
    return (await this.directory.list()).some((p) => p.role === 'operator')
  }

  /**
   * A first-run link. Every server process that starts before an operator exists prints
   * one; any of them works, and the first one used wins (see claimFirstRun).
   */
  async mintFirstRunInvite(): Promise<string> {
    const token = randomBytes(24).toString('base64url')
    await this.redis.set(this.keys.invite(token), JSON.stringify({ kind: 'first-operator' } satisfies Invite), 'EX', INVITE_TTL_SECONDS)
    return token
  }

  /** Of two first-run links used at the same moment, only one creates an operator. */
  async claimFirstRun(): Promise<boolean> {
    return (await this.redis.set(this.keys.firstRun, String(Date.now()), 'NX')) === 'OK'
  }

  async mintInvite(personId: string): Promise<string> {
    const token = randomBytes(24).toString('base64url')
    await this.redis.set(this.keys.invite(token), JSON.stringify({ kind: 'person', personId } satisfies Invite), 'EX', INVITE_TTL_SECONDS)
    return token
  }

  async peekInvite(token: string): Promise<Invite | null> {
    const raw = await this.redis.get(this.keys.invite(token))
    return raw ? (JSON.parse(raw) as Invite) : null
  }

  /** Takes an invite atomically: of two tabs racing on one link, only one gets it. */
  async takeInvite(token: string): Promise<Invite | null> {
    const raw = await this.redis.getdel(this.keys.invite(token))
    return raw ? (JSON.parse(raw) as Invite) : null
  }

  async setPassword(personId: string, password: string): Promise<void> {
    await this.redis.set(this.keys.password(personId), await hashPassword(password))
  }

  async hasPassword(personId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.password(personId))) === 1
  }

  async checkPassword(personId: string, password: string): Promise<boolean> {
    const stored = await this.redis.get(this.keys.password(personId))
    return verifyPassword(password, stored ?? DUMMY_HASH).then((ok) => ok && stored !== null)
  }

  /** The person a login name (email or id) names, if any; no password is checked. */
  async findLogin(identifier: string): Promise<Person | null> {
    const trimmed = identifier.trim()
    return trimmed.includes('@') ? await this.directory.findBy('email', trimmed) : await this.directory.get(trimmed.toLowerCase())
  }

  /** Checks the password of a person found by `findLogin` (the same work when there is none). */
  async passwordMatches(person: Person | null, password: string): Promise<boolean> {
    const ok = await this.checkPassword(person?.id ?? '\u0000none', password)
    return ok && person !== null
  }

  /** Finds the account for a login name (email or id) and checks the password. */
  async login(identifier: string, password: string): Promise<Person | null> {
    const person = await this.findLogin(identifier)
    return (await this.passwordMatches(person, password)) ? person : null
  }

  async removePassword(personId: string): Promise<void> {
    await this.redis.del(this.keys.password(personId))
  }

  /** A free directory id derived from the email or name (`ana`, `ana-2`, …). */
  async freeId(input: Pick<PersonInput, 'email' | 'name'>): Promise<string> {
    const source = input.email?.split('@')[0] ?? input.name
    const base =
      source
        .normalize('NFKD')
        .toLowerCase()
        .replace(/[^a-z0-9._-]+/g, '-')
        .replace(/^[^a-z0-9]+|-+$/g, '')
        .slice(0, 56) || 'person'
    for (let n = 1; n < 1000; n++) {
      const id = n === 1 ? base : `${base}-${n}`
      if (!(await this.directory.get(id))) return id
    }
    return `${base}-${randomBytes(3).toString('hex')}`
  }
}
