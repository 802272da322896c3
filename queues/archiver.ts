import { randomUUID } from 'node:crypto'
import type { Job } from 'bullmq'
import type { Logger } from 'pino'
import type { ArchiveWriter } from '../engine/archive/archive-dir.js'
import { buildLine, type ArchiveLine } from '../engine/archive/archive-line.js'
import { RemoveStatus, type RawCheckpoint, type RetentionStore } from '../engine/archive/retention-store.js'
import type { AuditEntry } from '../engine/audit.js'
import type { StoredRequest } from '../engine/stored-request.js'
import { RESUME_QUEUE } from '../plugins/queue-names.js'
import { jobIds } from './job-ids.js'
import type { QueueSet } from './queue-set.js'

export interface ArchiverOptions {
  store: RetentionStore
  writer: ArchiveWriter
  queues: QueueSet
  logger: Logger
  publicUrl: string
  retentionMs: number
  /** How often a pass runs; the lease lasts a few of these. */
  everyMs: number
  /** Checkpoints per archive batch (one gzip member, one SCAN for their keys). */
  batchSize?: number
  clock?: () => number
  onArchived?: (count: number) => void
  /**
   * Test seam: runs after the batch is written and fsync'd, before anything leaves Redis.
   * Throwing here is a crash between the archive write and the delete.
   */
  afterWrite?: (file: string, ids: readonly string[]) => void | Promise<void>
}

/** Job states in which a resume may still run: the checkpoint must wait for it. */
const RESUME_LIVE = new Set(['waiting', 'active', 'delayed', 'prioritized', 'waiting-children'])
/** A pass stops after this many, so one busy worker does not hold the lease forever. */
const MAX_PER_PASS = 5_000

/**
 * Moves finished checkpoints past retention from Redis to the archive, in batches:
 * read (sealed) → write + fsync → remove from Redis atomically (unless it changed) → remove
 * channel keys and jobs naming it. Whatever point a crash hits, each checkpoint is in Redis,
 * in the archive, or both; a repeat writes the same line again. One process at a time holds
 * the lease (a Redis key with a TTL), so worker processes take turns, never overlap.
 */
export class Archiver {
  private readonly owner = randomUUID()
  private readonly clock: () => number
  private readonly batchSize: number
  private backfilled = false

  constructor(private readonly o: ArchiverOptions) {
    this.clock = o.clock ?? Date.now
    this.batchSize = o.batchSize ?? 100
  }

  get tombstoneTtlSeconds(): number {
    // Long enough for an agent that polls rarely to learn where its checkpoint went.
    return Math.max(this.o.retentionMs, 24 * 3600 * 1000) / 1000
  }

  /** One scheduled run: take or keep the lease, then a pass. Returns how many were archived. */
  async tick(): Promise<number> {
    if (!(await this.holdLease())) return 0
    if (!this.backfilled) {
      const added = await this.o.store.backfill()
      if (added > 0) this.o.logger.info({ added }, 'finished checkpoints from before retention queued for archiving')
      this.backfilled = true
    }
    await this.purge()
    return this.pass()
  }

  private async holdLease(): Promise<boolean> {
    const key = this.o.store.keys.archiveLease
    const ttl = Math.max(30_000, this.o.everyMs * 3)
    const taken = await this.o.store.redis.set(key, this.owner, 'PX', ttl, 'NX')
    if (taken === 'OK') return true
    // Ours already: extend it only if it still is (compare and extend in one step).
    const extended = await this.o.store.redis.eval(
      "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0",
      1,
      key,
      this.owner,
      String(ttl),
    )
    return extended === 1
  }

  async release(): Promise<void> {
    await this.o.store.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, this.o.store.keys.archiveLease, this.owner)
  }

  private async pass(): Promise<number> {
    const cutoff = this.clock() - this.o.retentionMs
    let archived = 0
    // Shard by shard (one on a single Redis): each finished list is ordered by finish time.
    for (const shard of this.o.store.keys.allShards()) {
      if (archived >= MAX_PER_PASS) break
      archived += await this.passShard(shard, cutoff, MAX_PER_PASS - archived)
    }
    return archived
  }

  private async passShard(shard: number, cutoff: number, budget: number): Promise<number> {
    let archived = 0
    // Checkpoints kept back (resume unsettled, outbox pending) stay at the front of the set.
    let skipped = 0
    while (archived + skipped < budget) {
      const candidates = await this.o.store.finishedBefore(shard, cutoff, skipped, this.batchSize)
      if (candidates.length === 0) break
      const ready: RawCheckpoint[] = []
      for (const c of candidates) {
        const raw = await this.o.store.read(c.id, c.finishedAt)
        // Listed as finished but no longer in Redis (removed by hand): drop the entry.
        if (!raw) await this.o.store.forget(c.id)
        else if (await this.settled(raw)) ready.push(raw)
        else skipped++
      }
      archived += await this.archiveBatch(ready)
      if (candidates.length < this.batchSize) break
    }
    return archived
  }

  /**
   * Finished, and the resume settled: no resume target, or the audit records the outcome
   * (`resumed`, or `resume.failed`, which the worker writes only for a final failure) and no
   * resume job is queued again (an operator's re-drive), or the job itself finished for good.
   * Effects still in the outbox are not jobs yet, so such a checkpoint waits too.
   */
  private async settled(raw: RawCheckpoint): Promise<boolean> {
    if (await this.o.store.outboxPending(raw.id, Number(raw.stored.ver))) return false
    const request = JSON.parse(raw.stored.req) as StoredRequest
    if (!request.resume) return true
    const job: Job | undefined = await this.o.queues.forCheckpoint(RESUME_QUEUE, raw.id).getJob(jobIds.resume(raw.id))
    const state = job ? await job.getState() : null
    if (state !== null && RESUME_LIVE.has(state)) return false
    const audited = raw.audit.some((line) => {
      const kind = (JSON.parse(line) as AuditEntry).kind
      return kind === 'resumed' || kind === 'resume.failed'
    })
    if (audited) return true
    return state === 'completed' || (state === 'failed' && job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1))
  }

  private async archiveBatch(batch: readonly RawCheckpoint[]): Promise<number> {
    if (batch.length === 0) return 0
    const now = this.clock()
    const lines: ArchiveLine[] = batch.map((raw) => buildLine(raw.id, raw.stored, raw.audit, raw.finishedAt, this.o.publicUrl))
    const file = await this.o.writer.append(lines, now)
    await this.o.afterWrite?.(file, batch.map((r) => r.id))
    let removed = 0
    for (const raw of batch) {
      const status = await this.o.store.remove(raw, file, this.tombstoneTtlSeconds, now)
      if (status === RemoveStatus.Removed) removed++
      // Changed: a later audit entry arrived; the next pass archives it again, longer.
    }
    if (removed > 0) {
      this.o.onArchived?.(removed)
      this.o.logger.info({ archived: removed, file }, 'finished checkpoints archived')
    }
    await this.purge()
    return removed
  }

  /**
   * Channel keys, dedupe marks and BullMQ jobs that name archived checkpoints. Jobs are
   * removed through their queue (so its sets stay consistent); a job a worker holds right now
   * stays, and its id stays in the purge set for the next pass.
   */
  private async purge(): Promise<void> {
    const ids = await this.o.store.purgeList(this.batchSize)
    if (ids.length === 0) return
    const found = await this.o.store.keysNaming(ids)
    const done: string[] = []
    for (const id of ids) {
      let complete = true
      const plain: string[] = []
      const jobs = new Map<string, Set<string>>()
      for (const key of found.get(id) ?? []) {
        const job = this.o.queues.jobOfKey(key)
        if (job?.jobId.startsWith(`${id}.`)) jobs.set(job.queue, (jobs.get(job.queue) ?? new Set()).add(job.jobId))
        else plain.push(key)
      }
      await this.o.store.unlink(plain)
      for (const [queue, jobIdsOfQueue] of jobs) {
        for (const jobId of jobIdsOfQueue) {
          const removed = await this.o.queues.get(queue).remove(jobId)
          if (removed !== 1 && (await this.o.queues.get(queue).getJob(jobId))) complete = false
        }
      }
      if (complete) done.push(id)
    }
    await this.o.store.purged(done)
  }
}
