import type { Engine } from '../../engine/engine.js'
import type { ChannelRegistry } from '../../plugins/channel-registry.js'
import type { ResumeTarget } from '../../plugins/resume-target.js'

/** What one delivery or resume attempt needs, whether a worker or the committing process makes it. */
export interface AttemptDeps {
  engine: Engine
  /** HOLDPOINT_KEY_PREFIX, for the batch marks deliveries write themselves. */
  prefix: string
  publicUrl: string
  channels: ChannelRegistry
  resumeTargets: ReadonlyMap<string, ResumeTarget>
}
