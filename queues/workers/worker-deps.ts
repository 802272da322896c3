import type { ConnectionOptions } from 'bullmq'
import type { Logger } from 'pino'
import type { ChannelRegistry } from '../../plugins/channel-registry.js'
import type { Capabilities } from '../../engine/validate-create.js'
import type { Engine } from '../../engine/engine.js'
import type { ResumeTarget } from '../../plugins/resume-target.js'
import type { QueueSet } from '../queue-set.js'

/** What every worker is built from; assembled once per process in ops/. */
export interface WorkerDeps {
  engine: Engine
  connection: ConnectionOptions
  /** HOLDPOINT_KEY_PREFIX, for keys the workers write themselves. */
  prefix: string
  /** Where each queue lives (its BullMQ prefix; on a Cluster, the sub-queues of split ones). */
  queues: Pick<QueueSet, 'prefixOf' | 'partsOf'>
  logger: Logger
  publicUrl: string
  channels: ChannelRegistry
  resumeTargets: Map<string, ResumeTarget>
  capabilities: Capabilities
  /** First resume retry delay; shortened only by tests. */
  resumeFirstDelayMs: number
  /** BullMQ lock duration: a crashed worker's job is taken over after about this long. */
  jobLockMs: number
  concurrency?: number
}

/** Stalled-job detection follows the lock: a killed worker's job is retried within ~2 locks. */
export function lockSettings(deps: Pick<WorkerDeps, 'jobLockMs'>): { lockDuration: number; stalledInterval: number; maxStalledCount: number } {
  return { lockDuration: deps.jobLockMs, stalledInterval: deps.jobLockMs, maxStalledCount: 5 }
}

/** The connection and BullMQ prefix a worker of `queue` needs (the same as its producers'). */
export function queueAt(deps: Pick<WorkerDeps, 'connection' | 'queues'>, queue: string): { connection: ConnectionOptions; prefix: string } {
  return { connection: deps.connection, prefix: deps.queues.prefixOf(queue) }
}
