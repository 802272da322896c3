import type { Queue } from 'bullmq'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import type { z } from 'zod'
import type { ChangeFeed } from '../engine/change-feed.js'
import type { Directory, HandleRule, Person } from '../engine/directory.js'
import type { Engine } from '../engine/engine.js'
import type { Keyring } from '../engine/keyring.js'
import type { RedisClient } from '../engine/redis-client.js'
import type { StandingRules } from '../engine/rules/standing-rules.js'
import type { Actor } from '../machine/types.js'
import type { Channel } from './channel.js'
import type { FreeTextReader } from './free-text-reader.js'
import type { ResumeTarget } from './resume-target.js'

/**
 * The plugin contract. A channel, the dashboard, a resume target or an operator surface is a
 * plugin: it declares the environment it reads, how to check it (`holdpoint doctor`), and —
 * for channels — its recipient syntax and the handle it adds to a person. Everything else in
 * Holdpoint knows channels only through what plugins declare here.
 */

/**
 * Redis keys under the deployment's prefix, so plugins never build prefixes by hand. The
 * connection may be a Redis Cluster: keys that one MULTI or script uses together must share
 * a group (`key` groups by its first part, `root(group)` gives a group's root for stores that
 * name their own keys); single-key commands may use any key.
 */
export interface KeySpace {
  readonly redis: RedisClient
  readonly prefix: string
  /**
   * `<prefix>:<family>:<part>…`; on a Cluster `<prefix>:{<family>}:<family>:<part>…`, so every
   * key of one family (`teams`, `push`, …) is in one slot.
   */
  key(family: string, ...parts: string[]): string
  /** The root to build a group's keys on: the prefix on one Redis, `<prefix>:{<group>}` on a Cluster. */
  root(group: string): string
}

/** BullMQ queues on the deployment's shared connection. */
export interface JobQueues {
  readonly connection: RedisClient
  /** The BullMQ prefix of one queue: workers of it must be given the same. */
  prefixOf(name: string): string
  get(name: string): Queue
  /** Every queue this deployment owns. */
  names(): readonly string[]
}

/** The services a plugin is handed when it starts: no raw environment, no other plugin. */
export interface PluginContext {
  engine: Engine
  directory: Directory
  keyring: Keyring
  keys: KeySpace
  queues: JobQueues
  /** Present in server processes: wakes listeners on every commit, across processes. */
  changes: ChangeFeed | null
  /** Reads typed answers from people's words, when a model is configured. */
  extractor: FreeTextReader
  /** Standing rules: remembered decisions to store and revoke, policies to show. */
  rules: StandingRules
  logger: Logger
  /** Base of every link sent to people. */
  publicUrl: string
  production: boolean
  /** Outbound calls may reach private addresses (HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS). */
  allowPrivateAddresses: boolean
  /** Largest request body an inbound endpoint reads (HOLDPOINT_BODY_LIMIT). */
  bodyLimit: number
  /** How long a worker holds a job before another may take it over. */
  jobLockMs: number
  role: { server: boolean; worker: boolean }
  /** The registered channels, for surfaces that show them (the People and Account pages). */
  channels: { describe(): ChannelDescriptor[] }
  /** Prints one line for the operator at start (a setup link, a channel's mode). */
  announce(line: string): void
  /**
   * Every started plugin's `personRoutes`, for the surface that signs people in (the
   * dashboard) to mount behind its session and CSRF check. Read per request: plugins that
   * start after the dashboard are included.
   */
  personRoutes(): readonly PersonMount[]
}

/** A plugin's `personRoutes`, under `/ui/api/<plugin>/`. */
export interface PersonMount {
  plugin: string
  routes: Middleware
}

/** What `personRoutes` find on `ctx.state.person`: who is signed in, as the dashboard resolved them. */
export interface SignedInPerson {
  person: Person
  /** The dashboard Actor, with every identity the directory knows for them. */
  actor: Actor
}

/** What the dashboard's People and Account pages need to ask for and show a channel's handles. */
export interface ChannelDescriptor {
  name: string
  enabled: boolean
  forms: readonly string[]
  handles: Array<Pick<PersonHandle, 'field' | 'label' | 'placeholder'>>
}

/** What a started plugin contributes to a process. */
export interface PluginParts {
  /** Delivery (in workers). */
  channel?: Channel
  /** Koa middleware for inbound endpoints and pages, mounted ahead of the agent API. */
  routes?: Middleware
  /** Koa middleware mounted behind the agent API's token check and per-token rate limit. */
  agentRoutes?: Middleware
  /**
   * Koa middleware for a signed-in person's own settings (a device to notify). Mounted by the
   * dashboard under `/ui/api/<plugin name>/`: requests reach it only with a person's session
   * (never a `?grant=` visitor), writes only with the session's CSRF token from this origin,
   * and `ctx.state.person` holds a `SignedInPerson`.
   */
  personRoutes?: Middleware
  resumeTargets?: ResumeTarget[]
  /** Optional request features this plugin implements (`verify`, `verify:anthropic`, …). */
  features?: string[]
  /** Background work (a poller, workers); started after the process is up. */
  start?(): Promise<void>
  close?(): Promise<void>
}

/** How a channel's recipients are written in `notify` and `assignTo`. */
export interface RecipientSyntax {
  /** Matches a whole recipient of this channel (`/^chat:\d{1,20}$/`). */
  pattern: RegExp
  /** How to write one, for error messages (`chat:<chat id>`). */
  forms: readonly string[]
  /** The stored spelling (addresses compare case-insensitively, so they are kept lower-case). */
  normalize?(recipient: string): string
}

/** A handle a channel adds to a person in the directory, with how the People page asks for it. */
export interface PersonHandle extends Omit<HandleRule, 'channel'> {
  label: string
  placeholder: string
}

/** What makes a plugin a channel. */
export interface ChannelTraits {
  recipients: RecipientSyntax
  handles?: readonly PersonHandle[]
}

/** One line of `holdpoint doctor`. */
export interface DoctorCheck {
  name: string
  ok: boolean
  detail: string
  /** What to do about it, pointing at the channel's page in docs/. */
  fix?: string
}

export interface ConfigProblem {
  variable: string
  message: string
}

type EnvSchema = z.ZodObject<z.ZodRawShape>

export interface PluginSpec<E extends EnvSchema> {
  name: string
  /** The variables this plugin reads, validated with the rest of the configuration at start. */
  env: E
  /** Why the plugin is off with these settings (credentials missing), or null when it is on. */
  off?(settings: z.output<E>): string | null
  /** A live check of the credentials, for `holdpoint doctor`. */
  doctor?(settings: z.output<E>): Promise<DoctorCheck>
  channel?: ChannelTraits
  /** Queues the plugin owns beyond its delivery queue (listed in Bull Board and metrics). */
  queues?: readonly string[]
  /**
   * Dev mode only: values for this plugin's variables (a key pair) when the operator set none
   * of them, generated once and kept in `.data/dev.json` with the other dev secrets.
   */
  devSecrets?(): Record<string, string>
  start(settings: z.output<E>, ctx: PluginContext): PluginParts | Promise<PluginParts>
}

/** A plugin whose configuration has been read: on (with its settings inside) or off. */
export interface LoadedPlugin {
  readonly plugin: Plugin
  /** Why it is off, or null. */
  readonly off: string | null
  doctor(): Promise<DoctorCheck> | null
  start(ctx: PluginContext): Promise<PluginParts>
}

export interface Plugin {
  readonly name: string
  readonly variables: readonly string[]
  readonly channel: ChannelTraits | undefined
  readonly queues: readonly string[]
  readonly devSecrets: (() => Record<string, string>) | undefined
  /** Reads this plugin's variables from the environment. */
  load(env: Readonly<Record<string, string | undefined>>): LoadedPlugin | { problems: ConfigProblem[] }
}

/** Declares a plugin; its settings stay typed inside, the registry sees one shape for all. */
export function definePlugin<E extends EnvSchema>(spec: PluginSpec<E>): Plugin {
  const plugin: Plugin = {
    name: spec.name,
    variables: Object.keys(spec.env.shape),
    channel: spec.channel,
    queues: spec.queues ?? [],
    devSecrets: spec.devSecrets?.bind(spec),
    load(env) {
      const parsed = spec.env.safeParse(env)
      if (!parsed.success) {
        return { problems: parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? spec.name), message: i.message })) }
      }
      const settings = parsed.data
      return {
        plugin,
        off: spec.off?.(settings) ?? null,
        doctor: () => spec.doctor?.(settings) ?? null,
        start: async (ctx) => spec.start(settings, ctx),
      }
    },
  }
  return plugin
}
