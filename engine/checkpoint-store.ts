import type { Redis, Result } from 'ioredis'
import type { RedisClient } from './redis-client.js'
import { stateOf, type PersistedCheckpoint } from '../machine/index.js'
import { isTerminal, type CheckpointState, type Effect } from '../machine/types.js'
import type { AuditEntry } from './audit.js'
import { storedKind } from './audit-format.js'
import { compactRequest, expandRequest, requestHash, schemaRefs, type CompactRequest, type SealedRequest, type StoredRequest } from './stored-request.js'
import { AtRest } from './at-rest.js'
import { snapshotBaseline } from './checkpoint-input.js'
import { parseRecord } from './checkpoint-record.js'
import type { FieldCipher } from './field-cipher.js'
import { Keys, STANDALONE, type KeyLayout } from './keys.js'
import { newCheckpointId } from './ids.js'
import { SchemaCache } from './schema-cache.js'
import { decodeCompactSnapshot, decodeSnapshot, encodeCompactSnapshot } from './snapshot-codec.js'
import { COMMIT_CHECKPOINT_LUA, CommitStatus } from './scripts/commit-checkpoint.js'

/** A checkpoint as read from Redis in one atomic read. */
export interface LoadedCheckpoint {
  id: string
  request: StoredRequest
  persisted: PersistedCheckpoint
  state: CheckpointState
  version: number
  auditHead: string
  auditLength: number
}

/** Effects of one commit, waiting in the outbox until they are BullMQ jobs. */
export interface OutboxEntry {
  checkpointId: string
  version: number
  effects: Effect[]
}

export type CommitResult =
  | { status: CommitStatus.Ok; version: number }
  | { status: CommitStatus.VersionConflict | CommitStatus.NotFound | CommitStatus.AuditHeadConflict }
  | { status: CommitStatus.IdempotencyHit; record: string }

export interface CommitArgs {
  id: string
  /** 0 to create, -1 for an audit-only append, else the version the change was computed from. */
  expectedVersion: number
  expectedHead: string
  /** The load the change was computed from (null to create). */
  current: LoadedCheckpoint | null
  previousState: CheckpointState | null
  next: { persisted: PersistedCheckpoint; state: CheckpointState } | null
  /** State recorded in the pub/sub message and state index; for audit-only, the current state. */
  state: CheckpointState
  /** Appended in order; the last one's hash becomes the audit head. */
  audit: AuditEntry[]
  effects: Effect[]
  now: number
  /**
   * When the sweeper may re-dispatch the outbox entry (default `now`): later when the
   * committing process makes first attempts itself, so their lease costs no second write.
   */
  outboxDueAt?: number
  create?: { request: StoredRequest; idempotency?: { scope: string; key: string; record: string; ttlSeconds: number } }
}

const BATCH_INDEX_TTL_SECONDS = 120 * 24 * 60 * 60

type CommitReply = [number, string?]

declare module 'ioredis' {
  interface RedisCommander<Context> {
    commitCheckpoint(numberOfKeys: number, ...args: string[]): Result<CommitReply, Context>
  }
}

export function outboxField(id: string, version: number): string {
  return `${id}|${version}`
}

const isWrongType = (error: unknown) => error instanceof Error && error.message.startsWith('WRONGTYPE')

/**
 * Redis persistence of checkpoints: one-GET reads and the single commit script. Knows
 * nothing about what the events mean; the engine decides, the store writes all or nothing.
 */
export class CheckpointStore {
  readonly keys: Keys

  private readonly atRest: AtRest
  private readonly schemas = new SchemaCache()
  /**
   * Loads of records still in the hash layout of before: a commit from one of them sends the
   * whole record, so the script can rewrite it in the current layout.
   */
  private readonly oldLayout = new WeakSet<LoadedCheckpoint>()

  constructor(
    readonly redis: RedisClient,
    prefix: string,
    /** Seals payloads, answers and audit data at rest; null stores plaintext (tests of the store only). */
    cipher: FieldCipher | null = null,
    layout: KeyLayout = STANDALONE,
  ) {
    this.keys = new Keys(prefix, layout)
    this.atRest = new AtRest(cipher)
    // defineCommand is per connection; several stores may share one.
    if (typeof (redis as Partial<Redis>).commitCheckpoint !== 'function') {
      redis.defineCommand('commitCheckpoint', { lua: COMMIT_CHECKPOINT_LUA })
    }
  }

  /** One GET (plus one for schemas this process has not seen yet). */
  async load(id: string): Promise<LoadedCheckpoint | null> {
    let raw: Buffer | null
    try {
      raw = await this.redis.getBuffer(this.keys.checkpoint(id))
    } catch (error) {
      if (isWrongType(error)) return this.loadOldLayout(id)
      throw error
    }
    if (!raw) return null
    const record = parseRecord(raw)
    const sealed = await this.expand(id, JSON.parse(record.request) as CompactRequest)
    const request = this.opened(sealed)
    const persisted = this.atRest.openSnapshot(decodeCompactSnapshot(record.snapshot, snapshotBaseline(id, sealed)))
    return { id, request, persisted, state: stateOf(persisted), version: record.version, auditHead: record.auditHead, auditLength: record.auditLength }
  }

  /** A record written before the one-string layout: a hash, and the audit's length beside it. */
  private async loadOldLayout(id: string): Promise<LoadedCheckpoint | null> {
    const result = await this.redis
      .multi()
      .hmget(this.keys.checkpoint(id), 'req', 'snap', 'ver', 'head', 'state')
      .llen(this.keys.audit(id))
      .exec()
    if (!result) throw new Error('Redis transaction was aborted')
    const [[readErr, fields], [lenErr, length]] = result as [[Error | null, (string | null)[]], [Error | null, number]]
    if (readErr) throw readErr
    if (lenErr) throw lenErr
    const [req, snap, ver, head, state] = fields
    if (!req || !snap || !ver || head == null || !state) return null
    const loaded: LoadedCheckpoint = {
      id,
      request: this.atRest.openRequest(JSON.parse(req) as StoredRequest),
      persisted: this.atRest.openSnapshot(decodeSnapshot(snap)),
      state: state as CheckpointState,
      version: Number(ver),
      auditHead: head,
      auditLength: length,
    }
    this.oldLayout.add(loaded)
    return loaded
  }

  private opened(sealed: SealedRequest): StoredRequest {
    const plain = this.atRest.openRequest({ ...sealed, requestHash: '' })
    return { ...plain, requestHash: requestHash(plain) }
  }

  /** The request with its schemas back in place, from the cache or one MGET. */
  async expand(id: string, compact: CompactRequest): Promise<SealedRequest> {
    const texts = new Map<string, string>()
    for (const hash of schemaRefs(compact)) {
      const cached = this.schemas.get(hash)
      if (cached !== undefined) texts.set(hash, cached)
    }
    const missing = [...new Set(schemaRefs(compact).filter((hash) => !texts.has(hash)))]
    if (missing.length > 0) {
      const found = await this.redis.mget(missing.map((hash) => this.keys.schema(id, hash)))
      missing.forEach((hash, i) => {
        const json = found[i]
        if (json == null) throw new Error(`schema ${hash} of ${id} is missing`)
        this.schemas.set(hash, json)
        texts.set(hash, json)
      })
    }
    return expandRequest(compact, new Map([...texts].map(([hash, json]) => [hash, JSON.parse(json) as Record<string, unknown>])))
  }

  /**
   * A new checkpoint id. With an idempotency key (scope and hashed key) on a Cluster, the id
   * is drawn until it falls in the shard of the idempotency record (about `shards` draws), so
   * the record and the checkpoint are written by one commit in one slot.
   */
  newId(now: number, idempotency?: { scope: string; key: string }): string {
    const k = this.keys
    if (!idempotency || k.shards === 1) return newCheckpointId(now)
    const shard = k.idempotencyShard(idempotency.scope, idempotency.key)
    for (;;) {
      const id = newCheckpointId(now)
      if (k.shardOf(id) === shard) return id
    }
  }

  async commit(args: CommitArgs): Promise<CommitResult> {
    const k = this.keys
    const shard = k.shardOf(args.id)
    const idem = args.create?.idempotency
    const request = args.create?.request ?? args.current?.request
    if (!request) throw new Error(`commit to ${args.id} names neither a request to create nor the load it was computed from`)
    // A create, or the first commit to a record of the old layout, writes the whole record.
    const rewrite = args.create !== undefined || (args.current !== null && this.oldLayout.has(args.current))
    const persisted = args.next?.persisted ?? (rewrite ? args.current?.persisted : undefined)
    const written = rewrite ? compactRequest(this.atRest.sealRequest(request)) : null
    const schemaKeys: string[] = []
    const schemaArgs: string[] = []
    if (written) {
      for (const hash of schemaRefs(written.compact)) {
        const json = written.schemas.get(hash)!
        this.schemas.set(hash, json)
        schemaKeys.push(k.schema(args.id, hash), k.schemaRefs(args.id, hash))
        schemaArgs.push(json)
      }
    }
    const outbox: OutboxEntry | null =
      args.effects.length > 0 && args.next ? { checkpointId: args.id, version: args.expectedVersion + 1, effects: args.effects } : null
    const keys = [
      k.checkpoint(args.id),
      k.audit(args.id),
      k.outbox(shard),
      k.outboxByTime(shard),
      k.index(shard),
      args.previousState ? k.stateIndex(args.previousState, shard) : k.none(shard),
      k.stateIndex(args.state, shard),
      idem ? k.idempotency(idem.scope, idem.key) : k.none(shard),
      args.next && isTerminal(args.state) && args.previousState !== args.state ? k.finished(shard) : k.none(shard),
      ...schemaKeys,
    ]
    const last = args.audit[args.audit.length - 1]
    if (!last) throw new Error(`commit to ${args.id} has no audit entry`)
    const reply = await this.redis.commitCheckpoint(
      keys.length,
      ...keys,
      String(args.expectedVersion),
      args.expectedHead,
      persisted ? this.encodeSnapshot(args.id, request, persisted) : '',
      args.state,
      last.hash,
      outbox ? outboxField(args.id, outbox.version) : '',
      outbox ? JSON.stringify(outbox) : '',
      String(args.now),
      written ? JSON.stringify(written.compact) : '',
      idem?.record ?? '',
      String(idem?.ttlSeconds ?? 0),
      k.changes(shard),
      args.id,
      k.cluster ? 'SPUBLISH' : 'PUBLISH',
      k.none(shard),
      String(args.outboxDueAt ?? args.now),
      ...schemaArgs,
      ...args.audit.map((entry) => JSON.stringify(this.atRest.sealAudit(entry))),
    )
    const [rawCode, value] = reply
    const code = rawCode as CommitStatus
    if (code === CommitStatus.Ok) return { status: CommitStatus.Ok, version: Number(value) }
    if (code === CommitStatus.IdempotencyHit) return { status: CommitStatus.IdempotencyHit, record: value ?? '' }
    if (code === CommitStatus.VersionConflict || code === CommitStatus.NotFound || code === CommitStatus.AuditHeadConflict) {
      return { status: code }
    }
    throw new Error(`commitCheckpoint for ${args.id} answered an unknown status ${String(rawCode)}`)
  }

  /** Compared with the baseline in plaintext, stored sealed. */
  private encodeSnapshot(id: string, request: StoredRequest, persisted: PersistedCheckpoint): string {
    return encodeCompactSnapshot(persisted, snapshotBaseline(id, request), this.atRest.sealSnapshot(persisted))
  }

  /** The kinds of a checkpoint's audit entries, in order, read without opening any sealed field. */
  async auditKinds(id: string): Promise<string[]> {
    return (await this.redis.lrange(this.keys.audit(id), 0, -1)).map((line) => storedKind(JSON.parse(line)))
  }

  async readAudit(id: string): Promise<AuditEntry[]> {
    const raw = await this.redis.lrange(this.keys.audit(id), 0, -1)
    return this.atRest.openAudit(raw.map((line) => JSON.parse(line) as unknown))
  }

  /**
   * Adds a checkpoint to its batch's index. The set outlives its longest possible checkpoint
   * (90 days) by a month from its latest member; members that are gone are skipped on read.
   */
  async addToBatch(createdBy: string, batchId: string, id: string): Promise<void> {
    const key = this.keys.batch(createdBy, batchId)
    await this.redis.multi().sadd(key, id).expire(key, BATCH_INDEX_TTL_SECONDS).exec()
  }

  /** Ids of a batch's checkpoints, oldest first (ids sort by creation time). */
  async batchMembers(createdBy: string, batchId: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.batch(createdBy, batchId))).sort()
  }

  /**
   * Newest first. `cursor` is the last id of the previous page. On a Cluster each shard's
   * index gives its newest `limit + 1` below the cursor and the pages merge (ids sort by
   * creation time across shards), so a page costs one range read per shard.
   */
  async list(opts: { state?: CheckpointState; limit: number; cursor?: string }): Promise<{ ids: string[]; next: string | null }> {
    const max = opts.cursor ? `(${opts.cursor}` : '+'
    const perShard = await Promise.all(
      this.keys.allShards().map((s) => this.redis.zrevrangebylex(opts.state ? this.keys.stateIndex(opts.state, s) : this.keys.index(s), max, '-', 'LIMIT', 0, opts.limit + 1)),
    )
    const ids = perShard.length === 1 ? perShard[0]! : perShard.flat().sort().reverse().slice(0, opts.limit + 1)
    const page = ids.slice(0, opts.limit)
    return { ids: page, next: ids.length > opts.limit ? (page[page.length - 1] ?? null) : null }
  }

  /** Outbox entries committed before `olderThan`, up to `limit` from each shard. */
  async pendingOutbox(olderThan: number, limit: number): Promise<OutboxEntry[]> {
    const perShard = await Promise.all(this.keys.allShards().map((s) => this.pendingOutboxOf(s, olderThan, limit)))
    return perShard.flat()
  }

  private async pendingOutboxOf(shard: number, olderThan: number, limit: number): Promise<OutboxEntry[]> {
    const byTime = this.keys.outboxByTime(shard)
    const fields = await this.redis.zrangebyscore(byTime, '-inf', olderThan, 'LIMIT', 0, limit)
    if (fields.length === 0) return []
    const values = await this.redis.hmget(this.keys.outbox(shard), ...fields)
    const entries: OutboxEntry[] = []
    const orphans: string[] = []
    values.forEach((v, i) => {
      if (v) entries.push(JSON.parse(v) as OutboxEntry)
      else orphans.push(fields[i]!)
    })
    if (orphans.length > 0) await this.redis.zrem(byTime, ...orphans)
    return entries
  }

  /**
   * Keeps the sweeper off an entry until `until`: its process is making some effects' first
   * attempts itself (queues/attempts/). XX: an entry cleared meanwhile stays cleared.
   */
  async leaseOutbox(id: string, version: number, until: number): Promise<void> {
    await this.redis.zadd(this.keys.outboxByTime(this.keys.shardOf(id)), 'XX', until, outboxField(id, version))
  }

  /**
   * Two commands, not a transaction: the hash entry goes first, and a time entry left behind
   * by a crash in between names nothing, which the sweeper drops (pendingOutbox).
   */
  async clearOutbox(id: string, version: number): Promise<void> {
    const field = outboxField(id, version)
    const shard = this.keys.shardOf(id)
    await Promise.all([this.redis.hdel(this.keys.outbox(shard), field), this.redis.zrem(this.keys.outboxByTime(shard), field)])
  }
}
