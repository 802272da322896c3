import type { Job, Worker } from 'bullmq'
import type { RedisClient } from '../engine/redis-client.js'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { CommittedInfo, EngineObserver } from '../engine/engine.js'
import { isTerminal } from '../machine/types.js'
import type { QueueSet } from '../queues/queue-set.js'
import type { RetentionStore } from '../engine/archive/retention-store.js'
import { channelOfRecipient } from '../plugins/queue-names.js'

/** Human response times run from seconds to days. */
const HUMAN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400, 259200]
/** Machine latencies: milliseconds to a minute. */
const FAST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
const FIRST_VIEW_TTL_SECONDS = 7 * 24 * 3600

export interface MetricsOptions {
  queues?: QueueSet
  /** Checkpoints per state and the archive lag are read from Redis at scrape time. */
  retention?: { store: RetentionStore; retentionMs: number }
  /** With Redis, "first view" is decided across processes (SET NX), not per process. */
  redis?: RedisClient
  prefix?: string
}

/**
 * Prometheus metrics of one process. Labels are low-cardinality by construction: states,
 * event names, channels, queues, never checkpoint ids or people. Each process counts what it
 * did itself, so summing over processes in Prometheus gives the deployment's totals.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly transitions = new Counter({
    name: 'holdpoint_transitions_total',
    help: 'Checkpoint state changes committed, by event and resulting state',
    labelNames: ['event', 'to'] as const,
    registers: [this.registry],
  })
  readonly created = new Counter({
    name: 'holdpoint_checkpoints_created_total',
    help: 'Checkpoints created, once per channel notified (all created: transitions_total{event="checkpoint.create"})',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  })
  readonly finished = new Counter({
    name: 'holdpoint_checkpoints_finished_total',
    help: 'Checkpoints that reached a terminal state, by state and the channel of whoever ended it (system for timers)',
    labelNames: ['state', 'channel'] as const,
    registers: [this.registry],
  })
  readonly firstView = new Histogram({
    name: 'holdpoint_time_to_first_view_seconds',
    help: 'From creation to the first time a reviewer opened the checkpoint',
    buckets: HUMAN_BUCKETS,
    registers: [this.registry],
  })
  readonly decision = new Histogram({
    name: 'holdpoint_time_to_decision_seconds',
    help: 'From creation to a person’s deciding answer, by the channel it came through',
    labelNames: ['channel'] as const,
    buckets: HUMAN_BUCKETS,
    registers: [this.registry],
  })
  readonly resumeLatency = new Histogram({
    name: 'holdpoint_answer_to_resume_seconds',
    help: 'From the terminal commit to the agent’s resume target accepting it, by target',
    labelNames: ['target'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  })
  readonly deliveries = new Counter({
    name: 'holdpoint_deliveries_total',
    help: 'Requests delivered, by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  })
  readonly deliveryFailures = new Counter({
    name: 'holdpoint_delivery_failures_total',
    help: 'Deliveries that failed for good (after retries, or refused by the provider), by channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  })
  readonly resumeFailures = new Counter({
    name: 'holdpoint_resume_failures_total',
    help: 'Resumes that failed for good (re-drive them from Bull Board or the API)',
    registers: [this.registry],
  })
  readonly verdicts = new Counter({
    name: 'holdpoint_verifier_verdicts_total',
    help: 'Verifier verdicts on answers',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  })
  readonly jobDuration = new Histogram({
    name: 'holdpoint_job_duration_seconds',
    help: 'Time a worker spent on a job, by queue and outcome',
    labelNames: ['queue', 'outcome'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  })
  readonly jobWait = new Histogram({
    name: 'holdpoint_job_wait_seconds',
    help: 'From when a job was due to when a worker picked it up, by queue',
    labelNames: ['queue'] as const,
    buckets: FAST_BUCKETS,
    registers: [this.registry],
  })
  readonly dispatchFailures = new Counter({
    name: 'holdpoint_outbox_dispatch_failures_total',
    help: 'Outbox entries whose immediate dispatch failed (the sweeper retries them)',
    registers: [this.registry],
  })
  readonly inlineAttempts = new Counter({
    name: 'holdpoint_inline_attempts_total',
    help: 'First attempts of deliveries and resumes made by the committing process, by outcome (done, queued as a job for retry, final)',
    labelNames: ['kind', 'outcome'] as const,
    registers: [this.registry],
  })
  readonly httpDuration = new Histogram({
    name: 'holdpoint_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 60],
    registers: [this.registry],
  })

  readonly archived = new Counter({
    name: 'holdpoint_checkpoints_archived_total',
    help: 'Finished checkpoints written to the archive and removed from Redis (rate()[1m] × 60: archived per minute)',
    registers: [this.registry],
  })

  constructor(private readonly options: MetricsOptions = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'holdpoint_' })
    const retention = options.retention
    if (retention) {
      new Gauge({
        name: 'holdpoint_checkpoints',
        help: 'Checkpoints held in Redis per state, from the state indexes (archived ones are gone from them)',
        labelNames: ['state'] as const,
        registers: [this.registry],
        async collect() {
          for (const [state, n] of Object.entries(await retention.store.countsByState())) this.set({ state }, n)
        },
      })
      new Gauge({
        name: 'holdpoint_archive_lag_seconds',
        help: 'How far past retention the oldest finished checkpoint still in Redis is (0: the archiver keeps up)',
        registers: [this.registry],
        async collect() {
          const oldest = await retention.store.oldestFinished()
          this.set(oldest === null ? 0 : Math.max(0, Date.now() - retention.retentionMs - oldest) / 1000)
        },
      })
    }
    const set = options.queues
    if (set) {
      new Gauge({
        name: 'holdpoint_queue_jobs',
        help: 'Jobs per Holdpoint queue and state (the same in every process: read it from one)',
        labelNames: ['queue', 'state'] as const,
        registers: [this.registry],
        async collect() {
          this.reset()
          for (const queue of set.all()) {
            const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed')
            for (const [state, n] of Object.entries(counts)) this.set({ queue: queue.name, state }, n)
          }
        },
      })
    }
  }

  observer(): EngineObserver {
    return {
      committed: (info) => this.onCommitted(info),
      noted: ({ id, entry, context }) => {
        const at = Date.parse(entry.at)
        if (entry.kind === 'delivery.failed') this.deliveryFailures.inc({ channel: entry.actor.actor })
        if (entry.kind === 'resume.failed' && entry.data?.final === true) this.resumeFailures.inc()
        if (entry.kind === 'resumed') this.resumeLatency.observe({ target: entry.actor.actor }, Math.max(0, at - context.updatedAt) / 1000)
        if (entry.kind === 'viewed') this.firstViewOf(id, (at - context.createdAt) / 1000)
      },
      dispatchFailed: () => this.dispatchFailures.inc(),
    }
  }

  /** Job timings from a BullMQ worker's own events (each process times the jobs it ran). */
  watchWorker(worker: Worker): void {
    const record = (job: Job | undefined, outcome: 'completed' | 'failed') => {
      if (!job?.processedOn) return
      const due = job.timestamp + (job.opts.delay ?? 0)
      this.jobWait.observe({ queue: worker.name }, Math.max(0, job.processedOn - due) / 1000)
      if (job.finishedOn) this.jobDuration.observe({ queue: worker.name, outcome }, (job.finishedOn - job.processedOn) / 1000)
    }
    worker.on('completed', (job) => record(job, 'completed'))
    worker.on('failed', (job) => record(job, 'failed'))
  }

  private onCommitted({ from, to, event, request, input, persisted }: CommittedInfo): void {
    this.transitions.inc({ event, to })
    if (from === null) {
      for (const channel of new Set(request.notify.map(channelOfRecipient))) this.created.inc({ channel })
    }
    if (input?.type === 'checkpoint.delivered') this.deliveries.inc({ channel: channelOfRecipient(input.recipient) })
    if (input?.type === 'checkpoint.verdict') this.verdicts.inc({ verdict: input.passed ? 'passed' : 'failed' })
    if (from !== to && isTerminal(to)) {
      const by = persisted?.context.respondedBy ?? null
      this.finished.inc({ state: to, channel: by?.channel ?? 'system' })
      if (to === 'resolved' && persisted && by && by.default !== true) {
        this.decision.observe({ channel: by.channel }, (persisted.context.updatedAt - persisted.context.createdAt) / 1000)
      }
    }
  }

  /** A checkpoint is viewed many times by many people; only the first view counts. */
  private firstViewOf(id: string, seconds: number): void {
    const { redis, prefix } = this.options
    if (!redis || prefix === undefined) return
    void redis
      .set(`${prefix}:metrics:viewed:{${id}}`, '1', 'EX', FIRST_VIEW_TTL_SECONDS, 'NX')
      .then((first) => {
        if (first === 'OK') this.firstView.observe(Math.max(0, seconds))
      })
      .catch(() => undefined)
  }
}
