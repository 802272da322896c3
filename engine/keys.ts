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
  /** Heartbeats of running worker processes, for readiness. */
  get workers(): string {
    return `${this.prefix}:workers`
  }
}
