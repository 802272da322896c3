import { createHash } from 'node:crypto'
import type { Redis, Result } from 'ioredis'
import { CHECKPOINT_STATES, TERMINAL_STATES } from '../../machine/types.js'
import { keySlot } from '../key-slot.js'
import { Keys, STANDALONE, type KeyLayout } from '../keys.js'
import { masters, type RedisClient } from '../redis-client.js'
import { parseRecord } from '../checkpoint-record.js'
import { REMOVE_ARCHIVED_LUA } from '../scripts/remove-archived.js'
import { expandRequest, schemaRefs, type CompactRequest, type StoredRequest } from '../stored-request.js'
import type { StoredFields } from './archive-line.js'
import { storedFieldsOf } from './stored-fields.js'

declare module 'ioredis' {
  interface RedisCommander<Context> {
    removeArchived(numberOfKeys: number, ...args: string[]): Result<number, Context>
  }
}

/** A finished checkpoint as Redis holds it, sealed, read in one MULTI. */
export interface RawCheckpoint {
  id: string
  stored: StoredFields
  audit: string[]
  finishedAt: number
  /** Hashes of the shared schemas its record names, one per reference (none for the old layout). */
  schemas: string[]
}

const isWrongType = (error: Error | null) => error !== null && error.message.startsWith('WRONGTYPE')

export enum RemoveStatus {
  Removed = 1,
  Changed = 0,
  Gone = -1,
}

/** The creation day an id carries (ids start with base36 milliseconds), for the tombstone hash. */
export function creationDay(id: string): string {
  const ms = parseInt(id.slice(3, 12), 36)
  return Number.isFinite(ms) ? new Date(ms).toISOString().slice(0, 10) : 'unknown'
}

/**
 * Redis side of retention: the finished list, raw reads, the atomic removal and the
 * tombstones that let the API answer 410. Knows nothing of files; the archiver decides.
 */
export class RetentionStore {
  readonly keys: Keys

  constructor(
    readonly redis: RedisClient,
    prefix: string,
    layout: KeyLayout = STANDALONE,
  ) {
    this.keys = new Keys(prefix, layout)
    if (typeof (redis as Partial<Redis>).removeArchived !== 'function') {
      redis.defineCommand('removeArchived', { lua: REMOVE_ARCHIVED_LUA })
    }
  }

  /** Ids of one shard that finished at or before `cutoff`, oldest first. */
  async finishedBefore(shard: number, cutoff: number, offset: number, limit: number): Promise<Array<{ id: string; finishedAt: number }>> {
    const flat = await this.redis.zrangebyscore(this.keys.finished(shard), '-inf', cutoff, 'WITHSCORES', 'LIMIT', offset, limit)
    const out: Array<{ id: string; finishedAt: number }> = []
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ id: flat[i]!, finishedAt: Number(flat[i + 1]) })
    return out
  }

  /** When the oldest finished checkpoint still in Redis finished (null: none). */
  async oldestFinished(): Promise<number | null> {
    const firsts = await Promise.all(this.keys.allShards().map((s) => this.redis.zrange(this.keys.finished(s), 0, 0, 'WITHSCORES')))
    const scores = firsts.flatMap(([, score]) => (score === undefined ? [] : [Number(score)]))
    return scores.length === 0 ? null : Math.min(...scores)
  }

  async read(id: string, finishedAt: number): Promise<RawCheckpoint | null> {
    const result = await this.redis.multi().getBuffer(this.keys.checkpoint(id)).lrange(this.keys.audit(id), 0, -1).exec()
    if (!result) throw new Error('Redis transaction was aborted')
    const [[recordErr, raw], [auditErr, audit]] = result as [[Error | null, Buffer | null], [Error | null, string[]]]
    if (auditErr) throw auditErr
    if (isWrongType(recordErr)) return this.readOldLayout(id, finishedAt)
    if (recordErr) throw recordErr
    if (!raw) return null
    const record = parseRecord(raw)
    const compact = JSON.parse(record.request) as CompactRequest
    const schemas = schemaRefs(compact)
    const unique = [...new Set(schemas)]
    const texts = await this.redis.mget(unique.map((hash) => this.keys.schema(id, hash)))
    const found = new Map(unique.map((hash, i) => [hash, JSON.parse(texts[i] ?? 'null') as Record<string, unknown>]))
    return { id, stored: storedFieldsOf(id, record, expandRequest(compact, new Map([...found].filter(([, schema]) => schema !== null)))), audit, finishedAt, schemas }
  }

  /** A checkpoint no commit has touched since the one-string record: the hash of before. */
  private async readOldLayout(id: string, finishedAt: number): Promise<RawCheckpoint | null> {
    const result = await this.redis.multi().hgetall(this.keys.checkpoint(id)).lrange(this.keys.audit(id), 0, -1).exec()
    if (!result) throw new Error('Redis transaction was aborted')
    const [[hashErr, hash], [auditErr, audit]] = result as [[Error | null, Record<string, string>], [Error | null, string[]]]
    if (hashErr) throw hashErr
    if (auditErr) throw auditErr
    const { req, snap, ver, state, head, upd } = hash
    if (req === undefined || snap === undefined || ver === undefined || state === undefined || head === undefined) return null
    return { id, stored: { req, snap, ver, state, head, upd: upd ?? '' }, audit, finishedAt, schemas: [] }
  }

  async forget(id: string): Promise<void> {
    await this.redis.zrem(this.keys.finished(this.keys.shardOf(id)), id)
  }

  /** Whether effects of this checkpoint are still waiting in the outbox (not yet jobs). */
  async outboxPending(id: string, version: number): Promise<boolean> {
    return (await this.redis.hexists(this.keys.outbox(this.keys.shardOf(id)), `${id}|${version}`)) === 1
  }

  async remove(raw: RawCheckpoint, file: string, tombstoneTtlSeconds: number, now: number): Promise<RemoveStatus> {
    const k = this.keys
    const shard = k.shardOf(raw.id)
    const request = JSON.parse(raw.stored.req) as StoredRequest
    const idem =
      request.idempotencyKey !== undefined ? k.idempotency(request.createdBy, createHash('sha256').update(request.idempotencyKey).digest('base64url')) : k.none(shard)
    const keys = [
      k.checkpoint(raw.id),
      k.audit(raw.id),
      k.index(shard),
      k.stateIndex(raw.stored.state, shard),
      k.finished(shard),
      k.outbox(shard),
      idem,
      k.archived(creationDay(raw.id), shard),
      k.archivePurge(shard),
      k.outboxByTime(shard),
      ...raw.schemas.flatMap((hash) => [k.schema(raw.id, hash), k.schemaRefs(raw.id, hash)]),
    ]
    const status = await this.redis.removeArchived(
      keys.length,
      ...keys,
      raw.id,
      raw.stored.ver,
      raw.stored.head,
      file,
      String(Math.max(1, Math.ceil(tombstoneTtlSeconds))),
      String(now),
      k.none(shard),
    )
    return status
  }

  /** The archive file an archived checkpoint went to, while its tombstone lasts. */
  async archivedFile(id: string): Promise<string | null> {
    return this.redis.hget(this.keys.archived(creationDay(id), this.keys.shardOf(id)), id)
  }

  /** Up to `limit` archived ids still to purge, oldest first over every shard. */
  async purgeList(limit: number): Promise<string[]> {
    const perShard = await Promise.all(this.keys.allShards().map((s) => this.redis.zrange(this.keys.archivePurge(s), 0, limit - 1, 'WITHSCORES')))
    if (perShard.length === 1) return perShard[0]!.filter((_, i) => i % 2 === 0)
    const all = perShard.flatMap((flat) => flat.flatMap((v, i) => (i % 2 === 0 ? [{ id: v, at: Number(flat[i + 1]) }] : [])))
    return all
      .sort((a, b) => a.at - b.at)
      .slice(0, limit)
      .map((e) => e.id)
  }

  async purged(ids: readonly string[]): Promise<void> {
    for (const [shard, ofShard] of groupBy(ids, (id) => this.keys.shardOf(id))) await this.redis.zrem(this.keys.archivePurge(shard), ...ofShard)
  }

  /** Keys under the prefix whose names contain one of the ids (one SCAN of each master for the whole batch). */
  async keysNaming(ids: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>()
    for (const node of masters(this.redis)) {
      let cursor = '0'
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', `${this.keys.prefix}:*cp_*`, 'COUNT', 1000)
        cursor = next
        for (const key of keys) {
          const id = ids.find((candidate) => key.includes(candidate))
          if (id) found.set(id, [...(found.get(id) ?? []), key])
        }
      } while (cursor !== '0')
    }
    return found
  }

  /** One UNLINK per slot: a Cluster refuses a multi-key command across slots. */
  async unlink(keys: readonly string[]): Promise<void> {
    const bySlot = this.keys.cluster ? groupBy(keys, keySlot) : new Map([[0, [...keys]]])
    for (const ofSlot of bySlot.values()) if (ofSlot.length > 0) await this.redis.unlink(...ofSlot)
  }

  /**
   * Checkpoints that finished before the finished set existed (an upgrade) join it once,
   * scored by their last update. NX: a real finish time is never overwritten.
   */
  async backfill(): Promise<number> {
    const marker = `${this.keys.prefix}:finished:backfilled`
    if (await this.redis.exists(marker)) return 0
    let added = 0
    for (const state of TERMINAL_STATES) {
      for (const shard of this.keys.allShards()) {
        let cursor = '0'
        do {
          const [next, flat] = await this.redis.zscan(this.keys.stateIndex(state, shard), cursor, 'COUNT', 500)
          cursor = next
          const ids = flat.filter((_, i) => i % 2 === 0)
          for (const id of ids) {
            // A one-string record (WRONGTYPE here) was written after the finished set existed,
            // by the commit that also scored it there.
            const upd = await this.redis.hget(this.keys.checkpoint(id), 'upd').catch((error: Error) => {
              if (isWrongType(error)) return null
              throw error
            })
            if (upd !== null) added += await this.redis.zadd(this.keys.finished(shard), 'NX', Number(upd), id)
          }
        } while (cursor !== '0')
      }
    }
    await this.redis.set(marker, '1')
    return added
  }

  /** Checkpoints per state, from the index sizes (what Redis holds, archived ones excluded). */
  async countsByState(): Promise<Record<string, number>> {
    // Sent together (auto-pipelining groups them per node); a Cluster pipeline may not span slots.
    const counts = await Promise.all(
      CHECKPOINT_STATES.map(async (state) => (await Promise.all(this.keys.allShards().map((s) => this.redis.zcard(this.keys.stateIndex(state, s))))).reduce((a, b) => a + b, 0)),
    )
    return Object.fromEntries(CHECKPOINT_STATES.map((state, i) => [state, counts[i] ?? 0]))
  }
}

function groupBy<T, K>(items: readonly T[], keyOf: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    groups.set(key, [...(groups.get(key) ?? []), item])
  }
  return groups
}
