/**
 * Redis keys the Slack channel owns, all under `${prefix}:slack:`. Message refs carry the
 * checkpoint id in a hash tag like the engine's keys, so a move to Cluster keeps them together.
 */
export class SlackKeys {
  constructor(readonly prefix: string) {}

  /** Hash: `m|<recipient>` and `r|<recipient>|<ts>` → message ref JSON. */
  messages(checkpointId: string): string {
    return `${this.prefix}:slack:msgs:{${checkpointId}}`
  }
  /** Which checkpoint a thread (channel + parent ts) belongs to. */
  thread(channel: string, ts: string): string {
    return `${this.prefix}:slack:thread:${channel}:${ts}`
  }
  /** Marks an interaction as taken, so a Slack retry of it is ignored. */
  seen(key: string): string {
    return `${this.prefix}:slack:seen:${key}`
  }
  userByEmail(email: string): string {
    return `${this.prefix}:slack:user-by-email:${email.toLowerCase()}`
  }
  emailOfUser(userId: string): string {
    return `${this.prefix}:slack:email-of:${userId}`
  }
}
