/**
 * The checkpoint store's Redis keys: checkpoints, audits, the outbox, indexes, idempotency
 * records and the change channel. Other parts keep their own keys beside their code (the
 * directory in engine/directory.ts, each plugin through its KeySpace, BullMQ its queues), all
 * under the same `HOLDPOINT_KEY_PREFIX` so deployments and tests can share a Redis; the table
 * in ARCHITECTURE.md lists them all. Per-checkpoint keys carry the id in a hash tag
 * (`{cp_…}`) so a move to Redis Cluster can keep one checkpoint's keys in one slot.
 */
export class Keys {
  constructor(readonly prefix: string) {}

  checkpoint(id: string): string {
    return `${this.prefix}:cp:{${id}}`
  }
  audit(id: string): string {
    return `${this.prefix}:audit:{${id}}`
  }
  /** Effects committed but not yet handed to BullMQ: field `<id>|<version>`. */
  get outbox(): string {
    return `${this.prefix}:outbox`
  }
  /** The same outbox fields scored by commit time, so the sweeper finds stragglers. */
  get outboxByTime(): string {
    return `${this.prefix}:outbox:at`
  }
  /** All checkpoints, ordered by id (ids sort by creation time). */
  get index(): string {
    return `${this.prefix}:index`
  }
  stateIndex(state: string): string {
    return `${this.prefix}:index:${state}`
  }
  idempotency(scope: string, key: string): string {
    return `${this.prefix}:idem:${scope}:${key}`
  }
  /** Pub/sub channel carrying `{id,state,version}` for every commit. */
  get changes(): string {
    return `${this.prefix}:changes`
  }
  /**
   * Checkpoints that reached a terminal state, scored by when (ms): the archiver's work list,
   * written by the commit script so that no terminal commit can miss it.
   */
  get finished(): string {
    return `${this.prefix}:finished`
  }
  /**
   * Archived ids of one creation day (`YYYY-MM-DD`, read from the id): field id → archive
   * file. A per-day hash rather than a key per id, so that nothing left in Redis is named by
   * an archived checkpoint's id.
   */
  archived(day: string): string {
    return `${this.prefix}:archived:${day}`
  }
  /** Archived ids whose channel keys and jobs are still to be removed, scored by archive time. */
  get archivePurge(): string {
    return `${this.prefix}:archive:purge`
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
  schema(_checkpointId: string, hash: string): string {
    return `${this.prefix}:schema:${hash}`
  }
  /** How many checkpoint records name that schema (integer string); at 0 both keys go. */
  schemaRefs(_checkpointId: string, hash: string): string {
    return `${this.prefix}:schema:${hash}:refs`
  }
  /** Heartbeats of running worker processes, for readiness. */
  get workers(): string {
    return `${this.prefix}:workers`
  }
}
