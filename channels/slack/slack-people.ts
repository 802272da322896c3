import type { RedisClient } from '../../engine/redis-client.js'
import type { Directory } from '../../engine/directory.js'
import type { Actor } from '../../machine/types.js'
import { PermanentDeliveryError } from '../../plugins/channel.js'
import { slackCall, type SlackClient } from './slack-api.js'
import type { SlackKeys } from './slack-keys.js'

// Emails change rarely; a day keeps Web API calls off the interaction path most of the time.
const CACHE_SECONDS = 60 * 60 * 24
const NO_EMAIL = '-'

/**
 * Slack users as Holdpoint identities. A user is matched by Slack id and by email: the
 * directory first, then the email Slack holds for them (users.info, cached), so
 * `assignTo: ["slack:ana@example.com"]` or `["email:ana@example.com"]` admits Ana's clicks.
 */
export class SlackPeople {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: SlackKeys,
    private readonly directory: Directory,
    private readonly client: SlackClient,
  ) {}

  /** The Slack user behind an email address (users.lookupByEmail), cached both ways. */
  async userForEmail(email: string): Promise<string> {
    const cached = await this.redis.get(this.keys.userByEmail(email))
    if (cached) return cached
    const res = await slackCall(() => this.client.users.lookupByEmail({ email }))
    const id = res.user?.id
    if (!id) throw new PermanentDeliveryError('slack has no user with that email')
    await this.remember(id, email)
    return id
  }

  async emailOf(userId: string): Promise<string | null> {
    const cached = await this.redis.get(this.keys.emailOfUser(userId))
    if (cached !== null) return cached === NO_EMAIL ? null : cached
    const res = await slackCall(() => this.client.users.info({ user: userId }))
    const email = res.user?.profile?.email?.toLowerCase() ?? null
    if (email) await this.remember(userId, email)
    else await this.redis.set(this.keys.emailOfUser(userId), NO_EMAIL, 'EX', CACHE_SECONDS)
    return email
  }

  private async remember(userId: string, email: string): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.userByEmail(email), userId, 'EX', CACHE_SECONDS)
      .set(this.keys.emailOfUser(userId), email.toLowerCase(), 'EX', CACHE_SECONDS)
      .exec()
  }

  /** The Actor for a Slack user, with every identity `assignTo` may name them by (plus `also`). */
  async actorFor(userId: string, displayName?: string, also: string[] = []): Promise<Actor> {
    const known = await this.directory.actorFor('slack', userId, displayName)
    const actor = also.length === 0 ? known : { ...known, identities: [...new Set([...(known.identities ?? []), ...also])] }
    if (await this.directory.findBy('slack', userId)) return actor
    // Not in the directory by Slack id: Slack's (verified) email for them is the other key.
    // Without the email (users.info failing) they still act under their Slack id alone.
    const email = await this.emailOf(userId).catch(() => null)
    if (!email) return actor
    const identities = new Set([...(actor.identities ?? []), `slack:${email}`, `email:${email}`])
    const person = await this.directory.findBy('email', email)
    // With what anyone away lends them, as for people found by their Slack id.
    const acting = person ? await this.directory.acting(person) : null
    for (const id of acting?.identities ?? []) identities.add(id)
    const name = person?.name ?? actor.name
    return { ...actor, identities: [...identities], ...(name !== undefined && { name }), ...(acting && acting.covering.length > 0 && { covering: acting.covering }) }
  }
}
