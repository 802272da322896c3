import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { EngineObserver } from '../engine/engine.js'
import type { QueueSet } from '../queues/queue-set.js'

/**
 * Prometheus metrics of one process. Labels are low-cardinality by construction: states,
 * event names and channel names, never checkpoint ids or people.
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
    help: 'Checkpoints created, by first notified channel',
    labelNames: ['channel'] as const,
    registers: [this.registry],
  })
  readonly finished = new Counter({
    name: 'holdpoint_checkpoints_finished_total',
    help: 'Checkpoints that reached a terminal state',
    labelNames: ['state'] as const,
    registers: [this.registry],
  })
  readonly dispatchFailures = new Counter({
    name: 'holdpoint_outbox_dispatch_failures_total',
    help: 'Outbox entries whose immediate dispatch failed (the sweeper retries them)',
    registers: [this.registry],
  })
  readonly httpDuration = new Histogram({
    name: 'holdpoint_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30, 60],
    registers: [this.registry],
  })

  constructor(queues?: QueueSet) {
    collectDefaultMetrics({ register: this.registry, prefix: 'holdpoint_' })
    if (queues) {
      const set = queues
      new Gauge({
        name: 'holdpoint_queue_jobs',
        help: 'Jobs per Holdpoint queue and state',
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
      committed: ({ from, to, event, request }) => {
        this.transitions.inc({ event, to })
        if (from === null) this.created.inc({ channel: (request.notify[0] ?? 'dashboard').split(':')[0] ?? 'dashboard' })
        if (from !== to && ['resolved', 'expired', 'cancelled', 'rejected'].includes(to)) this.finished.inc({ state: to })
      },
      dispatchFailed: () => this.dispatchFailures.inc(),
    }
  }
}
