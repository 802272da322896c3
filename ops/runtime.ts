import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Logger } from 'pino'
import { ChannelRegistry } from '../plugins/channel-registry.js'
import type { Channel } from '../plugins/channel.js'
import { ChannelCatalog } from '../plugins/channel-catalog.js'
import type { PersonMount, Plugin, PluginContext, PluginParts } from '../plugins/plugin.js'
import { queueNames } from '../plugins/queue-names.js'
import { dashboardChannelPlugin } from '../channels/dashboard/plugin.js'
import { FreeTextExtractor } from '../verify/extractor.js'
import { verifyPlugin } from '../verify/plugin.js'
import { VerifierSet } from '../verify/verifier-set.js'
import { ChangeFeed } from '../engine/change-feed.js'
import { Directory } from '../engine/directory.js'
import { leastRecentlyAssigned } from '../engine/pick-assignee.js'
import { CheckpointStore } from '../engine/checkpoint-store.js'
import { Engine } from '../engine/engine.js'
import { FieldCipher } from '../engine/field-cipher.js'
import { Keyring } from '../engine/keyring.js'
import { configureValidation, warmValidation } from '../engine/json-schema.js'
import type { Capabilities } from '../engine/validate-create.js'
import { createHttpApp } from '../http/app.js'
import { BullmqEffectDispatcher } from '../queues/effect-dispatcher.js'
import { InlineFirstAttempts } from '../queues/attempts/inline-first-attempts.js'
import { groupExpander } from '../queues/group-expansion.js'
import { loadPeopleFile } from './people-file.js'
import { PolicyFile } from './policy-file.js'
import { RememberedStore } from '../engine/rules/remembered.js'
import { StandingRules } from '../engine/rules/standing-rules.js'
import { QueueSet } from '../queues/queue-set.js'
import { ResumeRedriver } from '../queues/resume-redriver.js'
import type { ResumeTarget } from '../plugins/resume-target.js'
import type { VerifierFunction } from '../verify/verifier.js'
import { webhookTarget } from '../resume/webhook-target.js'
import { statusOnlyFetch } from '../engine/status-fetch.js'
import { WorkerPool, workersAlive } from '../queues/worker-pool.js'
import { Archiver, type ArchiverOptions } from '../queues/archiver.js'
import { ArchiveWriter } from '../engine/archive/archive-dir.js'
import { RetentionStore } from '../engine/archive/retention-store.js'
import type { ResolvedConfig } from './config.js'
import { Metrics } from './metrics.js'
import { PLUGINS } from './plugins.js'
import { RedisConnections } from './redis-connections.js'
import { closeClient } from '../engine/redis-client.js'

/** Request features the engine itself implements; modules add theirs (e.g. `verify`). */
const CORE_FEATURES = ['escalation', 'reminders', 'quorum']

export interface RuntimeOptions {
  server: boolean
  worker: boolean
  logger: Logger
  /** Extra channels (tests and embedders); configured channels are added from config. */
  channels?: Channel[]
  /** Where modules print operator-facing lines at start; defaults to the logger. */
  announce?: (line: string) => void
  /** Plugins to run; defaults to every plugin in ops/plugins.ts. The dashboard channel is always on. */
  plugins?: readonly Plugin[]
  clock?: () => number
  /** Test seam of the archiver (a crash between the archive write and the Redis delete). */
  archiveHooks?: Pick<ArchiverOptions, 'afterWrite'>
  /** Verifier functions for `verify.provider: "function:<name>"` (Holdpoint embedded as a library). */
  verifiers?: Readonly<Record<string, VerifierFunction>>
  /** How often HOLDPOINT_POLICY_FILE is checked for changes (tests shorten it). */
  policyPollMs?: number
}

export interface Runtime {
  engine: Engine
  queues: QueueSet
  metrics: Metrics
  directory: Directory
  rules: StandingRules
  /** The started plugins' names, in mount order. */
  plugins: string[]
  /** The channels this process delivers through. */
  channels: ChannelRegistry
  /** Base URL the HTTP server listens on, when this runtime serves HTTP. */
  url: string | null
  close(): Promise<void>
}

/**
 * Assembles a process: one Redis connection for state, one for BullMQ, a subscriber for
 * the change feed, the engine, and the HTTP server and/or workers. `server` and `worker`
 * processes are the same assembly with a different half switched on. The connections and the
 * key layout come from ops/redis-connections.ts (one Redis, or a Redis Cluster).
 */
export async function startRuntime(config: ResolvedConfig, options: RuntimeOptions): Promise<Runtime> {
  const { logger } = options
  // First, before any connection is opened: a bad policy file stops the start cleanly.
  const policyFile = config.policyFile ? await PolicyFile.open(config.policyFile, { logger, ...(options.policyPollMs !== undefined && { intervalMs: options.policyPollMs }) }) : null
  const connections = new RedisConnections(config)
  const keys = connections.keys()
  const redis = connections.open('state')
  const bullConnection = connections.open('queues')
  redis.on('error', (e: Error) => logger.error({ err: e.message }, 'redis connection error'))
  bullConnection.on('error', (e: Error) => logger.error({ err: e.message }, 'redis (queues) connection error'))

  const keyring = new Keyring(config.secretKeys)
  // Process-wide: every runtime in a process shares one validation pool.
  configureValidation(config.validation)
  if (options.server) warmValidation()
  const store = new CheckpointStore(redis, config.keyPrefix, new FieldCipher(keyring), connections.layout)
  // The dashboard channel is always on; verification wraps the process's one VerifierSet.
  const verifiers = new VerifierSet({ env: config.env, webhookSecret: config.webhookSecret, allowPrivateWebhooks: config.allowPrivateWebhooks, ...(options.verifiers && { functions: options.verifiers }) })
  const registered = dedupe([dashboardChannelPlugin, ...(options.plugins ?? PLUGINS), verifyPlugin(verifiers)])
  const loaded = registered.map((plugin) => config.plugins.find((l) => l.plugin.name === plugin.name) ?? loadOrThrow(plugin, config.source))
  const on = loaded.filter((l) => l.off === null)
  for (const l of loaded) if (l.off !== null) logger.info(`${l.plugin.name} off: ${l.off}`)
  // Every registered plugin's syntax and queues are known even when a caller runs only some.
  const known = dedupe([...registered, ...PLUGINS])
  const catalog = new ChannelCatalog(known, new Set([...on.map((l) => l.plugin.name), ...(options.channels ?? []).map((c) => c.name)]))
  const queues = new QueueSet(bullConnection, keys, queueNames(known), (error, queue) => logger.error({ err: error.message, queue }, 'queue error'))
  const retentionStore = new RetentionStore(redis, config.keyPrefix, connections.layout)
  const metrics = new Metrics({ queues, redis, prefix: config.keyPrefix, retention: { store: retentionStore, retentionMs: config.retentionMs } })
  // Groups of keys that one MULTI touches share a hash tag on a Cluster (Keys.group).
  const directory = new Directory(redis, keys.group('dir'), catalog.handleRules(), options.clock)
  if (config.peopleFile) {
    const count = await loadPeopleFile(config.peopleFile, directory)
    logger.info({ count }, 'people loaded from HOLDPOINT_PEOPLE_FILE')
  }
  const rules = new StandingRules({
    policies: () => policyFile?.policies() ?? [],
    remembered: new RememberedStore(redis, keys.group('rules'), new FieldCipher(keyring)),
    onError: (error, checkpointId) => logger.error({ checkpointId, err: (error as Error).message }, 'standing rule not applied; a person decides'),
  })
  const enabledChannels = catalog.enabled()
  // Known once the plugins have started; nothing is dispatched before then.
  let batchChannels: ReadonlySet<string> = new Set()
  // A committed checkpoint is on every reviewer's screen: its commit is the dashboard's delivery.
  const inlineRecipients: ReadonlySet<string> = new Set(['dashboard'])
  // Bound once the channels and resume targets exist (below); nothing is dispatched before.
  const firstAttempts = new InlineFirstAttempts(config.inlineAttempts, ({ kind, checkpointId }, outcome, error) => {
    metrics.inlineAttempts.inc({ kind, outcome })
    if (outcome === 'queued') logger.warn({ kind, checkpointId, err: (error as Error | undefined)?.message }, 'first attempt failed; queued for retry')
  })
  const engine: Engine = new Engine({
    store,
    keyring,
    dispatcher: new BullmqEffectDispatcher(
      queues,
      options.clock,
      groupExpander(directory, () => enabledChannels),
      inlineRecipients,
      (channel) => batchChannels.has(channel),
      firstAttempts,
      config.resumeFirstDelayMs,
    ),
    inlineRecipients,
    assigner: leastRecentlyAssigned(directory, redis, keys.group('dir'), () => enabledChannels),
    afterCreate: (checkpoint) => rules.afterCreate(engine, checkpoint),
    observer: {
      ...metrics.observer(),
      dispatchFailed: (info) => {
        metrics.dispatchFailures.inc()
        logger.warn({ checkpointId: info.id, version: info.version, err: (info.error as Error).message }, 'dispatch failed; the sweeper will retry')
      },
    },
    ...(options.clock && { clock: options.clock }),
  })
  const subscriber = options.server ? connections.open('subscriber') : null
  subscriber?.on('error', (e: Error) => logger.error({ err: e.message }, 'redis (subscriber) connection error'))
  const changes = subscriber ? new ChangeFeed(subscriber, keys) : null
  await changes?.start()

  const personMounts: PersonMount[] = []
  const pluginContext: PluginContext = {
    engine,
    directory,
    keyring,
    keys: { redis, prefix: config.keyPrefix, key: (family, ...parts) => [keys.group(family), family, ...parts].join(':'), root: (group) => keys.group(group) },
    queues,
    changes,
    extractor: new FreeTextExtractor(verifiers),
    rules,
    logger,
    publicUrl: config.publicUrl,
    production: config.production,
    allowPrivateAddresses: config.allowPrivateWebhooks,
    jobLockMs: config.jobLockMs,
    bodyLimit: config.bodyLimit,
    role: { server: options.server, worker: options.worker },
    channels: catalog,
    announce: options.announce ?? ((line) => logger.info(line)),
    personRoutes: () => personMounts,
  }
  const parts: PluginParts[] = []
  for (const l of on) {
    const part = await l.start(pluginContext)
    parts.push(part)
    if (part.personRoutes) personMounts.push({ plugin: l.plugin.name, routes: part.personRoutes })
  }

  const channels = new ChannelRegistry([...(options.channels ?? []), ...parts.flatMap((m) => (m.channel ? [m.channel] : []))])
  batchChannels = new Set([...channels.names()].filter((name) => channels.get(name)?.deliverBatch !== undefined))
  const resumeTargets = new Map<string, ResumeTarget>([['webhook', webhookTarget(config.webhookSecret, statusOnlyFetch, { allowPrivate: config.allowPrivateWebhooks })]])
  for (const target of parts.flatMap((m) => m.resumeTargets ?? [])) resumeTargets.set(target.name, target)
  firstAttempts.bind({ engine, prefix: config.keyPrefix, publicUrl: config.publicUrl, channels, resumeTargets })
  const capabilities: Capabilities = {
    recipients: catalog,
    channels: enabledChannels,
    resumeTargets: new Set(resumeTargets.keys()),
    features: new Set([...CORE_FEATURES, ...parts.flatMap((m) => m.features ?? [])]),
    allowPrivateWebhooks: config.allowPrivateWebhooks,
  }

  const closers: Array<() => Promise<void>> = []
  let url: string | null = null

  if (options.worker) {
    // Short retentions (tests, demos) are checked as often; long ones every 10 s.
    const everyMs = Math.min(10_000, Math.max(1_000, Math.floor(config.retentionMs / 2)))
    const archiver = config.archiveDir
      ? new Archiver({
          store: retentionStore,
          writer: new ArchiveWriter(config.archiveDir),
          queues,
          logger: logger.child({ component: 'archiver' }),
          publicUrl: config.publicUrl,
          retentionMs: config.retentionMs,
          everyMs,
          onArchived: (n) => metrics.archived.inc(n),
          ...options.archiveHooks,
        })
      : null
    if (!config.archiveDir) logger.info('retention off (HOLDPOINT_ARCHIVE=off): finished checkpoints stay in Redis')
    const pool = new WorkerPool(
      {
        engine,
        connection: bullConnection,
        prefix: config.keyPrefix,
        queues,
        logger,
        publicUrl: config.publicUrl,
        channels,
        resumeTargets,
        capabilities,
        resumeFirstDelayMs: config.resumeFirstDelayMs,
        jobLockMs: config.jobLockMs,
      },
      redis,
      archiver ? { archiver, everyMs } : null,
    )
    pool.start()
    for (const worker of pool.running) metrics.watchWorker(worker)
    closers.push(() => pool.close())
  }

  if (options.server && changes) {
    const app = createHttpApp({
      mounts: parts.flatMap((m) => (m.routes ? [m.routes] : [])),
      agentMounts: parts.flatMap((m) => (m.agentRoutes ? [m.agentRoutes] : [])),
      engine,
      changes,
      keyring,
      capabilities,
      publicUrl: config.publicUrl,
      bodyLimit: config.bodyLimit,
      redriver: new ResumeRedriver(queues, store),
      redis,
      registry: metrics.registry,
      workersAlive: () => workersAlive(redis, config.keyPrefix),
      logger,
      apiTokens: config.apiTokens,
      metrics,
      keyPrefix: config.keyPrefix,
      archivedFile: (id: string) => retentionStore.archivedFile(id),
      rateLimits: config.rateLimits,
      trustProxy: config.trustProxy,
      tokenScope: { mode: config.tokenScope, operators: new Set(config.operatorTokens) },
      rules,
      operatorTokens: new Set(config.operatorTokens),
    })
    const server: Server = createServer(app.callback())
    // Long-polls hold requests open for up to a minute; keep idle sockets a little longer.
    server.keepAliveTimeout = 65_000
    server.headersTimeout = 66_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(config.port, config.host, () => resolve())
    })
    const address = server.address() as AddressInfo
    url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`
    closers.unshift(async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeIdleConnections()
        // Long-polls end promptly on shutdown; clients reconnect to another process.
        setTimeout(() => server.closeAllConnections(), 2_000).unref()
      })
      await changes.close()
    })
  }

  if (policyFile) closers.push(() => Promise.resolve(policyFile.close()))
  for (const part of parts) await part.start?.()
  closers.unshift(async () => {
    for (const part of parts) await part.close?.()
  })

  return {
    engine,
    queues,
    metrics,
    directory,
    rules,
    plugins: on.map((l) => l.plugin.name),
    channels,
    url,
    async close() {
      // Before the channels close: what a request or job commits from here on is queued.
      await firstAttempts.drain(5_000)
      for (const close of closers) await close()
      await queues.close()
      await Promise.all([closeClient(redis), closeClient(bullConnection)])
    },
  }
}

/** One plugin per name: a caller's own list may repeat the always-on ones. */
function dedupe(plugins: readonly Plugin[]): Plugin[] {
  const seen = new Set<string>()
  return plugins.filter((p) => !seen.has(p.name) && seen.add(p.name))
}

/** Plugins the configuration did not list (a caller's own) read their settings here. */
function loadOrThrow(plugin: Plugin, source: Readonly<Record<string, string>>) {
  const result = plugin.load(source)
  if ('problems' in result) throw new Error(`${plugin.name}: ${result.problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`)
  return result
}
