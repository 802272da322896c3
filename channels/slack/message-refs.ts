import type { Redis } from 'ioredis'
import type { SlackKeys } from './slack-keys.js'

/** A message Holdpoint posted about a checkpoint: where it is, so it can be updated later. */
export interface MessageRef {
  channel: string
  ts: string
  recipient: string
  kind: 'main' | 'reply'
}

export interface ThreadOwner {
  checkpointId: string
  recipient: string
}

// Long enough to outlive any checkpoint's deadline with room for late thread replies.
const TTL_SECONDS = 60 * 60 * 24 * 60

/**
 * Per-checkpoint message refs in Redis. The main message doubles as the delivery's
 * idempotency record: a retried delivery that finds it posts nothing again.
 */
export class MessageRefs {
  constructor(
    private readonly redis: Redis,
    private readonly keys: SlackKeys,
  ) {}

  async main(checkpointId: string, recipient: string): Promise<MessageRef | null> {
    const raw = await this.redis.hget(this.keys.messages(checkpointId), `m|${recipient}`)
    return raw ? (JSON.parse(raw) as MessageRef) : null
  }

  async save(checkpointId: string, ref: MessageRef): Promise<void> {
    const field = ref.kind === 'main' ? `m|${ref.recipient}` : `r|${ref.recipient}|${ref.ts}`
    const owner: ThreadOwner = { checkpointId, recipient: ref.recipient }
    const tx = this.redis.multi().hset(this.keys.messages(checkpointId), field, JSON.stringify(ref)).expire(this.keys.messages(checkpointId), TTL_SECONDS)
    if (ref.kind === 'main') tx.set(this.keys.thread(ref.channel, ref.ts), JSON.stringify(owner), 'EX', TTL_SECONDS)
    await tx.exec()
  }

  /** Every message (the main one and thread replies) shown to one recipient. */
  async forRecipient(checkpointId: string, recipient: string): Promise<MessageRef[]> {
    const all = await this.redis.hgetall(this.keys.messages(checkpointId))
    return Object.entries(all)
      .filter(([field]) => field === `m|${recipient}` || field.startsWith(`r|${recipient}|`))
      .map(([, raw]) => JSON.parse(raw) as MessageRef)
  }

  async threadOwner(channel: string, ts: string): Promise<ThreadOwner | null> {
    const raw = await this.redis.get(this.keys.thread(channel, ts))
    return raw ? (JSON.parse(raw) as ThreadOwner) : null
  }
}
