import type { RedisClient } from '../../engine/redis-client.js'
import type { SlackKeys } from './slack-keys.js'

/** A message Holdpoint posted about a checkpoint: where it is, so it can be updated later. */
export interface MessageRef {
  channel: string
  ts: string
  recipient: string
  kind: 'main' | 'reply'
  /** Set when the message is a batch's combined message: every member redraws all of it. */
  batch?: BatchMessage
}

/** A batch message's members, in the order shown. */
export interface BatchMessage {
  id: string
  title: string
  members: string[]
}

export interface ThreadOwner {
  /** For a batch message, its first member (replies in its thread name no single item). */
  checkpointId: string
  recipient: string
  batch?: BatchMessage
}

// Long enough to outlive any checkpoint's deadline with room for late thread replies.
const TTL_SECONDS = 60 * 60 * 24 * 60

/**
 * Per-checkpoint message refs in Redis. The main message doubles as the delivery's
 * idempotency record: a retried delivery that finds it posts nothing again.
 */
export class MessageRefs {
  constructor(
    private readonly redis: RedisClient,
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
  /** One combined message for several checkpoints: each member's main ref points at it. */
  async saveBatch(ref: MessageRef & { batch: BatchMessage }): Promise<void> {
    const [first] = ref.batch.members
    if (first === undefined) return
    const owner: ThreadOwner = { checkpointId: first, recipient: ref.recipient, batch: ref.batch }
    const tx = this.redis.multi()
    for (const id of ref.batch.members) tx.hset(this.keys.messages(id), `m|${ref.recipient}`, JSON.stringify(ref)).expire(this.keys.messages(id), TTL_SECONDS)
    tx.set(this.keys.thread(ref.channel, ref.ts), JSON.stringify(owner), 'EX', TTL_SECONDS)
    await tx.exec()
  }

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
