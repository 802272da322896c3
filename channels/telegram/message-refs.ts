import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'

/**
 * What stays server-side for a Telegram message: `callback_data` holds only a short ref
 * (≤ 64 bytes with the choice index), which maps here to the checkpoint and chat. The sent
 * message's id is kept per checkpoint and recipient so the outcome can edit it, and per
 * chat message so a ForceReply answer finds its checkpoint.
 */
export interface MessageRef {
  cp: string
  chat: string
}

export interface SentMessage {
  chat: string
  messageId: number
  ref: string
}

export class MessageRefs {
  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
  ) {}

  private refKey(ref: string) {
    return `${this.prefix}:tg:ref:${ref}`
  }
  private sentKey(cp: string) {
    return `${this.prefix}:tg:sent:{${cp}}`
  }
  private replyKey(chat: string, messageId: number) {
    return `${this.prefix}:tg:reply:${chat}:${messageId}`
  }

  async create(target: MessageRef, ttlSeconds: number): Promise<string> {
    const ref = randomBytes(9).toString('base64url')
    await this.redis.set(this.refKey(ref), JSON.stringify(target), 'EX', ttlSeconds)
    return ref
  }

  async resolve(ref: string): Promise<MessageRef | null> {
    const raw = await this.redis.get(this.refKey(ref))
    return raw ? (JSON.parse(raw) as MessageRef) : null
  }

  async recordSent(cp: string, recipient: string, sent: SentMessage, ttlSeconds: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.sentKey(cp), recipient, JSON.stringify(sent))
      .expire(this.sentKey(cp), ttlSeconds)
      .set(this.replyKey(sent.chat, sent.messageId), sent.ref, 'EX', ttlSeconds)
      .exec()
  }

  async sent(cp: string, recipient: string): Promise<SentMessage | null> {
    const raw = await this.redis.hget(this.sentKey(cp), recipient)
    return raw ? (JSON.parse(raw) as SentMessage) : null
  }

  /**
   * A later message about the same request to the same recipient (the verifier sent an
   * answer back), under `tag`: replies to it answer like replies to the request, and the
   * outcome edit reaches it too.
   */
  async recordFollowUp(cp: string, recipient: string, tag: string, sent: SentMessage, ttlSeconds: number): Promise<void> {
    await this.redis
      .multi()
      .hset(this.sentKey(cp), `${recipient}#${tag}`, JSON.stringify(sent))
      .expire(this.sentKey(cp), ttlSeconds)
      .set(this.replyKey(sent.chat, sent.messageId), sent.ref, 'EX', ttlSeconds)
      .exec()
  }

  async followUp(cp: string, recipient: string, tag: string): Promise<SentMessage | null> {
    return this.sent(cp, `${recipient}#${tag}`)
  }

  async followUps(cp: string, recipient: string): Promise<SentMessage[]> {
    const all = await this.redis.hgetall(this.sentKey(cp))
    return Object.entries(all)
      .filter(([field]) => field.startsWith(`${recipient}#`))
      .map(([, raw]) => JSON.parse(raw) as SentMessage)
  }

  async refForReply(chat: string, messageId: number): Promise<string | null> {
    return this.redis.get(this.replyKey(chat, messageId))
  }
}

/** `callback_data` is `<ref>:<choice index>`; anything else is not ours. */
export function callbackData(ref: string, index: number): string {
  return `${ref}:${index}`
}

export function parseCallbackData(data: string | undefined): { ref: string; index: number } | null {
  const match = /^([A-Za-z0-9_-]{8,32}):(\d{1,2})$/.exec(data ?? '')
  return match ? { ref: match[1]!, index: Number(match[2]) } : null
}
