import type { ConnectionOptions } from 'bullmq'
import type { Logger } from 'pino'
import type { ChannelRegistry } from '../../plugins/channel-registry.js'
import type { Capabilities } from '../../engine/validate-create.js'
import type { Engine } from '../../engine/engine.js'
import type { ResumeTarget } from '../../plugins/resume-target.js'

/** What every worker is built from; assembled once per process in ops/. */
export interface WorkerDeps {
  engine: Engine
  connection: ConnectionOptions
  prefix: string
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
