import type { Redis } from 'ioredis'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import type { Channel } from '../channels/channel.js'
import type { ChangeFeed } from '../engine/change-feed.js'
import type { Directory } from '../engine/directory.js'
import type { Engine } from '../engine/engine.js'
import type { Keyring } from '../engine/keyring.js'
import type { QueueSet } from '../queues/queue-set.js'
import type { ResumeTarget } from '../resume/resume-target.js'
import type { VerifierFunction } from '../verify/verifier.js'
import type { ResolvedConfig } from './config.js'

/**
 * A feature that plugs into a process: a channel (delivery in workers, inbound routes in
 * servers), the dashboard, a resume target. Modules are listed in ops/modules.ts; a module
 * whose configuration is missing returns null and is simply off.
 */
export interface ModuleContext {
  config: ResolvedConfig
  engine: Engine
  redis: Redis
  queues: QueueSet
  directory: Directory
  keyring: Keyring
  logger: Logger
  /** Present in server processes: wakes listeners on every commit, across processes. */
  changes: ChangeFeed | null
  role: { server: boolean; worker: boolean }
  /** Prints one line for the operator at start (a setup link, a channel's mode). */
  announce(line: string): void
  /** Local verifier functions from an embedding application (`verify.provider: "function:<name>"`). */
  verifiers?: Readonly<Record<string, VerifierFunction>>
}

export interface HoldpointModule {
  name: string
  channel?: Channel
  /** Koa middleware mounted ahead of the agent API (inbound endpoints, pages, assets). */
  routes?: Middleware
  /** Koa middleware mounted inside the agent API's gate (`/v1` token auth and per-token rate limit). */
  agentRoutes?: Middleware
  resumeTargets?: ResumeTarget[]
  /** Optional request features this module implements (`escalation`, `quorum`, `verify`, …). */
  features?: string[]
  /** Background work owned by the module (a poller); started after the runtime is up. */
  start?(): Promise<void>
  close?(): Promise<void>
}

export type ModuleFactory = (ctx: ModuleContext) => HoldpointModule | null | Promise<HoldpointModule | null>
