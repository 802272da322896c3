import { keySlot, SLOTS } from './key-slot.js'

/**
 * How keys are laid out: on one Redis (or Sentinel) every key keeps the names Holdpoint has
 * always used; on a Redis Cluster the checkpoints are spread over `shards` hash tags, and
 * every group of keys that one atomic step touches shares a tag (see ARCHITECTURE.md, "Redis
 * Cluster"). The shard count is fixed for the life of a deployment: it decides key names.
 */
export type KeyLayout = { cluster: false } | { cluster: true; shards: number }

export const STANDALONE: KeyLayout = { cluster: false }
/** Shards on a Cluster: enough to spread evenly over a few masters, few enough to merge cheaply. */
export const CLUSTER_SHARDS = 16
export const CLUSTER: KeyLayout = { cluster: true, shards: CLUSTER_SHARDS }

/** 32-bit FNV-1a: stable across processes and versions, which is all a shard choice needs. */
function fnv1a(value: string): number {
  let hash = 0x811c9dc5
  for (const byte of new TextEncoder().encode(value)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0
  return hash
}

const tagCache = new Map<string, string>()

/**
 * A hash tag for part `i` of `parts` whose slot lies in the i-th 1/parts of the slot range (as
 * near its middle as a few hundred candidates `<label><i>-<n>` get), so that masters given
 * equal slot ranges (what `redis-cli --cluster create` does) get equal shares of the parts.
 */
export function spreadTag(label: string, i: number, parts: number): string {
  const cacheKey = `${label}\u0000${i}\u0000${parts}`
  const cached = tagCache.get(cacheKey)
  if (cached !== undefined) return cached
  const middle = ((i + 0.5) * SLOTS) / parts
  let best = `${label}${i}`
  let distance = Infinity
  for (let n = 0; n < 400; n++) {
    const candidate = `${label}${i}-${n}`
    const d = Math.abs(keySlot(`{${candidate}}`) - middle)
    if (d < distance) [best, distance] = [candidate, d]
  }
  tagCache.set(cacheKey, best)
  return best
}

/** One tag per checkpoint shard (`s<shard>-<n>`), spread evenly over the slots. */
export function shardTags(shards: number): readonly string[] {
  return Array.from({ length: shards }, (_, s) => spreadTag('s', s, shards))
}

/**
 * Holdpoint's Redis keys: checkpoints, audits, the outbox, indexes, idempotency records, the
 * change channels, and the hash-tagged roots of every other group of keys (the directory,
 * rules, plugins, BullMQ queues), all under `HOLDPOINT_KEY_PREFIX` so deployments and tests
 * can share a Redis. The table in ARCHITECTURE.md lists them all.
 *
 * On one Redis there is one shard and every name is what it always was. On a Cluster a
 * checkpoint lives in shard hash(id) mod S: its hash, its audit, and the outbox, index,
 * state-index, finished, idempotency and tombstone keys its commit and removal scripts touch
 * all carry that shard's tag, so each script stays one atomic step in one slot; readers of
 * those per-shard structures merge over `allShards()`.
 */
export class Keys {
  readonly shards: number
  private readonly tags: readonly string[]

  constructor(
    readonly prefix: string,
    readonly layout: KeyLayout = STANDALONE,
  ) {
    this.shards = layout.cluster ? layout.shards : 1
    this.tags = layout.cluster ? shardTags(layout.shards) : []
  }

  get cluster(): boolean {
    return this.layout.cluster
  }

  allShards(): number[] {
    return Array.from({ length: this.shards }, (_, s) => s)
  }

  shardOf(checkpointId: string): number {
    return this.shards === 1 ? 0 : fnv1a(checkpointId) % this.shards
  }

  /** The idempotency record is found from (scope, key) alone; its checkpoint is created in this shard. */
  idempotencyShard(scope: string, key: string): number {
    return this.shards === 1 ? 0 : fnv1a(`${scope}:${key}`) % this.shards
  }

  /** `<name>` on one Redis, `<name>:{<shard tag>}` on a Cluster. */
  private sharded(name: string, shard: number): string {
    return this.layout.cluster ? `${name}:{${this.tags[shard]!}}` : name
  }

  checkpoint(id: string): string {
    return this.layout.cluster ? `${this.prefix}:cp:{${this.tags[this.shardOf(id)]!}}:${id}` : `${this.prefix}:cp:{${id}}`
  }
  audit(id: string): string {
    return this.layout.cluster ? `${this.prefix}:audit:{${this.tags[this.shardOf(id)]!}}:${id}` : `${this.prefix}:audit:{${id}}`
  }
  /** Effects committed but not yet handed to BullMQ: field `<id>|<version>`. */
  outbox(shard: number): string {
    return this.sharded(`${this.prefix}:outbox`, shard)
  }
  /** The same outbox fields scored by commit time, so the sweeper finds stragglers. */
  outboxByTime(shard: number): string {
    return this.sharded(`${this.prefix}:outbox:at`, shard)
  }
  /** All checkpoints, ordered by id (ids sort by creation time). */
  index(shard: number): string {
    return this.sharded(`${this.prefix}:index`, shard)
  }
  stateIndex(state: string, shard: number): string {
    return this.sharded(`${this.prefix}:index:${state}`, shard)
  }
  idempotency(scope: string, key: string): string {
    return this.layout.cluster
      ? `${this.prefix}:idem:{${this.tags[this.idempotencyShard(scope, key)]!}}:${scope}:${key}`
      : `${this.prefix}:idem:${scope}:${key}`
  }
  /**
   * Pub/sub channel carrying `{id,state,version}` for every commit: one channel on one Redis
   * (PUBLISH), one per shard on a Cluster (SPUBLISH from the commit script, which a Cluster
   * allows only for a channel in the script's slot).
   */
  changes(shard: number): string {
    return this.sharded(`${this.prefix}:changes`, shard)
  }
  /**
   * What a script gets for a key it is not to touch: '' on one Redis; on a Cluster a name in
   * the shard's slot (a script's keys must all share one slot, and '' hashes to slot 0),
   * which the script's first line turns back into ''. Never written.
   */
  none(shard: number): string {
    return this.layout.cluster ? this.sharded(`${this.prefix}:none`, shard) : ''
  }
  /** Every change channel a subscriber listens to. */
  allChanges(): string[] {
    return this.allShards().map((s) => this.changes(s))
  }
  /**
   * Checkpoints that reached a terminal state, scored by when (ms): the archiver's work list,
   * written by the commit script so that no terminal commit can miss it.
   */
  finished(shard: number): string {
    return this.sharded(`${this.prefix}:finished`, shard)
  }
  /**
   * Archived ids of one creation day (`YYYY-MM-DD`, read from the id): field id → archive
   * file. A per-day hash rather than a key per id, so that nothing left in Redis is named by
   * an archived checkpoint's id.
   */
  archived(day: string, shard: number): string {
    return this.sharded(`${this.prefix}:archived:${day}`, shard)
  }
  /** Archived ids whose channel keys and jobs are still to be removed, scored by archive time. */
  archivePurge(shard: number): string {
    return this.sharded(`${this.prefix}:archive:purge`, shard)
  }
  /** Which worker process runs the archiver (a lease with a TTL). */
  get archiveLease(): string {
    return `${this.prefix}:archive:lease`
  }
  /**
   * Ids of one batch's checkpoints, per creating agent token (so two agents cannot mix
   * their batches by choosing the same id). The batch id is the hash tag.
   */
  batch(createdBy: string, batchId: string): string {
    return `${this.prefix}:batch:{${batchId}}:${createdBy}`
  }
  /**
   * A JSON Schema checkpoints name by content hash (string), shared by every checkpoint
   * with the same schema. Takes the checkpoint id so that a Cluster layout can place it in
   * that checkpoint's slot (the commit script writes it with the record).
   */
  schema(checkpointId: string, hash: string): string {
    return this.layout.cluster ? `${this.prefix}:schema:{${this.tags[this.shardOf(checkpointId)]!}}:${hash}` : `${this.prefix}:schema:${hash}`
  }
  /** How many checkpoint records name that schema (integer string); at 0 both keys go. */
  schemaRefs(checkpointId: string, hash: string): string {
    return `${this.schema(checkpointId, hash)}:refs`
  }
  /** Heartbeats of running worker processes, for readiness. */
  get workers(): string {
    return `${this.prefix}:workers`
  }
  /**
   * The root of a group of keys that multi-key steps (MULTI, scripts) use together: the
   * directory (`dir`), standing rules (`rules`), a plugin's family (`dash`, `slack`, …), one
   * BullMQ queue. The prefix itself on one Redis (names unchanged); `<prefix>:{<group>}` on a
   * Cluster, so the whole group shares one slot.
   */
  group(name: string): string {
    return this.layout.cluster ? `${this.prefix}:{${name}}` : this.prefix
  }
  /**
   * Like `group`, for part `i` of `parts` of one thing split to spread load (sub-queues of a
   * busy BullMQ queue): on a Cluster each part's tag lands in its own share of the slots.
   */
  spreadGroup(name: string, i: number, parts: number): string {
    return this.layout.cluster ? `${this.prefix}:{${spreadTag(`${name}.`, i, parts)}}` : this.prefix
  }
}
