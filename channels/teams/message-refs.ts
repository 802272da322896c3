import type { KeySpace } from '../../plugins/plugin.js'

/**
 * The card Holdpoint posted for one checkpoint and recipient (so it can be updated for
 * everyone), and the thread replies sent after it (reminders, an answer sent back), each
 * under a tag so a retried job never posts the same reply twice. The card's record doubles
 * as the delivery's idempotency record.
 */
export interface SentCard {
  conversationId: string
  activityId: string
}

// Outlives any checkpoint's deadline with room for late clicks on old cards.
const TTL_SECONDS = 60 * 60 * 24 * 60

export class MessageRefs {
  constructor(private readonly keys: KeySpace) {}

  private key(checkpointId: string) {
    return this.keys.key('teams', 'sent', `{${checkpointId}}`)
  }

  async card(checkpointId: string, recipient: string): Promise<SentCard | null> {
    const raw = await this.keys.redis.hget(this.key(checkpointId), `card|${recipient}`)
    return raw ? (JSON.parse(raw) as SentCard) : null
  }

  async saveCard(checkpointId: string, recipient: string, card: SentCard): Promise<void> {
    await this.keys.redis.multi().hset(this.key(checkpointId), `card|${recipient}`, JSON.stringify(card)).expire(this.key(checkpointId), TTL_SECONDS).exec()
  }

  /** True the first time `tag` is claimed for this recipient; a failed send gives it back. */
  async claimReply(checkpointId: string, recipient: string, tag: string): Promise<boolean> {
    const set = await this.keys.redis.hsetnx(this.key(checkpointId), `reply|${recipient}|${tag}`, '1')
    return set === 1
  }

  async releaseReply(checkpointId: string, recipient: string, tag: string): Promise<void> {
    await this.keys.redis.hdel(this.key(checkpointId), `reply|${recipient}|${tag}`)
  }
}
