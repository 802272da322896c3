import { createHash } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import type { SlackKeys } from './slack-keys.js'

// Slack retries for minutes, not days; a day leaves a wide margin.
const SEEN_TTL_SECONDS = 60 * 60 * 24

/** A short, BullMQ-safe id (no ':') for an interaction's stable key. */
export function interactionId(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 24)
}

/**
 * True the first time an interaction key is seen. Slack redelivers a request it thinks we
 * missed (`X-Slack-Retry-Num`); the retry carries the same ids, so SET NX turns it into a no-op.
 */
export async function firstTime(redis: RedisClient, keys: SlackKeys, key: string): Promise<boolean> {
  const set = await redis.set(keys.seen(interactionId(key)), '1', 'EX', SEEN_TTL_SECONDS, 'NX')
  return set === 'OK'
}
