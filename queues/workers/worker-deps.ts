import type { ConnectionOptions } from 'bullmq'
import type { Logger } from 'pino'
import type { Capabilities } from '../../engine/validate-create.js'
import type { AttemptDeps } from '../attempts/attempt-deps.js'
import type { QueueSet } from '../queue-set.js'

/** What every worker is built from (workers make delivery and resume attempts too); assembled once per process in ops/. */
export interface WorkerDeps extends AttemptDeps {
  connection: ConnectionOptions
  /** Where each queue lives (its BullMQ prefix; on a Cluster, the sub-queues of split ones). */
  queues: Pick<QueueSet, 'prefixOf' | 'partsOf'>
  logger: Logger
  capabilities: Capabilities
  /** First resume retry delay; shortened only by tests. */
  resumeFirstDelayMs: number
  /** BullMQ lock duration: a crashed worker's job is taken over after about this long. */
  jobLockMs: number
  concurrency?: number
}

/** The connection and BullMQ prefix a worker of `queue` needs (the same as its producers'). */
export function queueAt(deps: Pick<WorkerDeps, 'connection' | 'queues'>, queue: string): { connection: ConnectionOptions; prefix: string } {
  return { connection: deps.connection, prefix: deps.queues.prefixOf(queue) }
}
