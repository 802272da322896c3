import { z } from 'zod'
import { parseSecretKeys, type SecretKey } from '../engine/keyring.js'
import type { LoadedPlugin, Plugin } from '../plugins/plugin.js'
import { PLUGINS } from './plugins.js'
import { DEFAULT_LIMITS } from '../engine/schema/limits.js'
import { join } from 'node:path'
import { parseDuration } from './duration.js'

/**
 * Configuration from the environment, validated once at start. Names are fixed by the
 * contract (api.md); anything invalid stops the process with one message naming each bad
 * variable. Secrets that dev mode may generate are optional here and filled in by dev-secrets.
 */

const port = z.coerce.number().int().min(1).max(65535)
const url = z.url()
const optionalString = z.string().trim().min(1).optional()

export interface ClusterNode {
  host: string
  port: number
}

/** `host:port,host:port,…` (an IPv6 host in brackets: `[::1]:7000`); the error names each bad entry. */
export function clusterNodes(value: string): { nodes: ClusterNode[] } | { error: string } {
  const entries = value
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)
  const nodes: ClusterNode[] = []
  const bad: string[] = []
  for (const entry of entries) {
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry)
    const port = Number(match?.[2])
    if (!match || port < 1 || port > 65535) bad.push(`"${entry}"`)
    else nodes.push({ host: match[1]!.replace(/^\[(.*)\]$/, '$1'), port })
  }
  if (bad.length > 0) return { error: `each node must be host:port (port 1-65535); not ${bad.join(', ')}` }
  if (nodes.length === 0) return { error: 'names no node; give host:port,host:port,… of the cluster' }
  return { nodes }
}

function tokenList(value: string): Array<{ name: string; token: string }> {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
    .map((entry, i) => {
      const colon = entry.indexOf(':')
      return colon > 0 ? { name: entry.slice(0, colon), token: entry.slice(colon + 1) } : { name: `token-${i + 1}`, token: entry }
    })
}

const envSchema = z
  .object({
    NODE_ENV: z.string().optional(),
    REDIS_URL: url.default('redis://127.0.0.1:6379'),
    HOLDPOINT_REDIS_CLUSTER_NODES: z
      .string()
      .optional()
      .transform((v, ctx): ClusterNode[] | undefined => {
        if (v === undefined || v.trim() === '') return undefined
        const parsed = clusterNodes(v)
        if ('error' in parsed) {
          ctx.addIssue({ code: 'custom', message: parsed.error })
          return z.NEVER
        }
        return parsed.nodes
      }),
    HOLDPOINT_PORT: port.default(8080),
    HOLDPOINT_HOST: z.string().default('127.0.0.1'),
    HOLDPOINT_PUBLIC_URL: url.optional(),
    HOLDPOINT_API_TOKENS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v.trim() === '') return undefined
        const tokens = tokenList(v)
        if (tokens.some((t) => t.token.length < 16)) ctx.addIssue({ code: 'custom', message: 'every token must be at least 16 characters' })
        return tokens
      }),
    HOLDPOINT_WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]{24,}$/, 'must be whsec_ followed by a base64 key of at least 18 bytes')
      .optional(),
    HOLDPOINT_SECRET_KEYS: z
      .string()
      .optional()
      .transform((v, ctx): SecretKey[] | undefined => {
        if (v === undefined || v.trim() === '') return undefined
        try {
          return parseSecretKeys(v)
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: (error as Error).message })
          return z.NEVER
        }
      }),
    HOLDPOINT_KEY_PREFIX: z
      .string()
      .regex(/^[\w.-]{1,64}$/, 'letters, digits, _ . - only')
      .default('hp'),
    HOLDPOINT_BODY_LIMIT: z.coerce.number().int().min(1024).default(1024 * 1024),
    HOLDPOINT_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    HOLDPOINT_DATA_DIR: z.string().default('.data'),
    HOLDPOINT_RESUME_FIRST_DELAY_MS: z.coerce.number().int().min(1).default(5_000),
    HOLDPOINT_PEOPLE_FILE: optionalString,
    HOLDPOINT_POLICY_FILE: optionalString,
    HOLDPOINT_JOB_LOCK_MS: z.coerce.number().int().min(500).default(30_000),
    HOLDPOINT_INLINE_ATTEMPTS: z.coerce.number().int().min(0).max(10_000).default(32),
    HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: z.enum(['true', 'false']).optional(),
    HOLDPOINT_RATE_LIMIT_API: z.coerce.number().int().min(0).default(6000),
    HOLDPOINT_RATE_LIMIT_LINKS: z.coerce.number().int().min(0).default(60),
    HOLDPOINT_VERIFY_MODELS: optionalString,
    HOLDPOINT_TRUST_PROXY: z.coerce.number().int().min(0).max(10).default(1),
    HOLDPOINT_VALIDATION_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(DEFAULT_LIMITS.timeoutMs),
    HOLDPOINT_VALIDATION_WORKERS: z.coerce.number().int().min(1).max(64).default(DEFAULT_LIMITS.workers),
    HOLDPOINT_SCHEMA_MAX_BYTES: z.coerce.number().int().min(1024).default(DEFAULT_LIMITS.maxSchemaBytes),
    HOLDPOINT_TOKEN_SCOPE: z.enum(['all', 'own']).default('all'),
    HOLDPOINT_OPERATOR_TOKENS: z
      .string()
      .optional()
      .transform((v) => (v ?? '').split(',').map((n) => n.trim()).filter(Boolean)),
    HOLDPOINT_RETENTION: z
      .string()
      .default('30d')
      .transform((v, ctx) => {
        const ms = parseDuration(v)
        if (ms === null) {
          ctx.addIssue({ code: 'custom', message: 'must be a number and a unit, e.g. 30d, 12h, 10s' })
          return z.NEVER
        }
        return ms
      }),
    HOLDPOINT_ARCHIVE_DIR: optionalString,
    HOLDPOINT_ARCHIVE: z.enum(['on', 'off']).default('on'),
    ANTHROPIC_API_KEY: optionalString,
    ANTHROPIC_BASE_URL: url.optional(),
    OPENAI_API_KEY: optionalString,
    OPENAI_BASE_URL: url.optional(),
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production'
    if (production) {
      for (const name of ['HOLDPOINT_API_TOKENS', 'HOLDPOINT_WEBHOOK_SECRET', 'HOLDPOINT_SECRET_KEYS'] as const) {
        if (env[name] === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required when NODE_ENV=production' })
      }
    }
    // Deleting finished checkpoints without a record of them must be a decision, not a default.
    if (production && env.HOLDPOINT_ARCHIVE === 'on' && env.HOLDPOINT_ARCHIVE_DIR === undefined) {
      ctx.addIssue({ code: 'custom', path: ['HOLDPOINT_ARCHIVE_DIR'], message: 'is required when NODE_ENV=production (where finished checkpoints are archived before they leave Redis); set HOLDPOINT_ARCHIVE=off to keep them in Redis instead' })
    }
    const tokenNames = new Set((env.HOLDPOINT_API_TOKENS ?? []).map((t) => t.name))
    const unknownOperators = env.HOLDPOINT_OPERATOR_TOKENS.filter((name) => env.HOLDPOINT_API_TOKENS !== undefined && !tokenNames.has(name))
    if (unknownOperators.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['HOLDPOINT_OPERATOR_TOKENS'], message: `names no token in HOLDPOINT_API_TOKENS: ${unknownOperators.join(', ')}` })
    }
  })

export type Env = z.output<typeof envSchema>

/** Every variable the configuration reads, the plugins' included (deployment files are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = [...new Set([...Object.keys(envSchema.shape), ...PLUGINS.flatMap((p) => p.variables)])]

export interface Config {
  production: boolean
  redisUrl: string
  /**
   * Seed nodes of a Redis Cluster (HOLDPOINT_REDIS_CLUSTER_NODES): state and queues use ioredis
   * `Cluster` and the cluster key layout instead of `redisUrl`. Null: one Redis at `redisUrl`.
   */
  redisCluster: ClusterNode[] | null
  port: number
  host: string
  publicUrl: string
  apiTokens: Array<{ name: string; token: string }> | undefined
  webhookSecret: string | undefined
  secretKeys: SecretKey[] | undefined
  keyPrefix: string
  bodyLimit: number
  logLevel: Env['HOLDPOINT_LOG_LEVEL']
  dataDir: string
  resumeFirstDelayMs: number
  /** How long a worker holds a job before another may take it over (BullMQ lockDuration). */
  jobLockMs: number
  /** First attempts of deliveries and resumes a process makes itself at once (0: every effect is a job). */
  inlineAttempts: number
  /** JSON file of people and groups loaded into the directory at start. */
  peopleFile: string | undefined
  /** JSON file of declared policies (standing rules), reloaded when it changes. */
  policyFile: string | undefined
  /** Resume/verifier webhooks may target private, loopback and link-local addresses (dev default). */
  allowPrivateWebhooks: boolean
  /** Requests per minute per agent token and per client address on magic links; 0 = no limit. */
  rateLimits: { apiPerMinute: number; linksPerMinute: number }
  /** Reverse proxies in front of the server whose X-Forwarded-For may be trusted (0 = none). */
  trustProxy: number
  /** Budget for agents' JSON Schemas (engine/schema/limits.ts holds the rest of the defaults). */
  validation: { timeoutMs: number; workers: number; maxSchemaBytes: number }
  /**
   * `own`: an agent token sees and acts on only the checkpoints it created; tokens named in
   * `operatorTokens` still see all. `all` (default): every token sees every checkpoint.
   */
  tokenScope: 'all' | 'own'
  operatorTokens: string[]
  /**
   * Retention: finished checkpoints older than `retentionMs` move to the archive directory
   * and leave Redis. `archiveDir` null (HOLDPOINT_ARCHIVE=off): nothing is archived or removed.
   */
  retentionMs: number
  archiveDir: string | null
  env: Env
  /** Every registered plugin with its own settings read: on, or off with the reason. */
  plugins: LoadedPlugin[]
  /** The variables as given (empty ones dropped), for plugins an embedder adds at start. */
  source: Readonly<Record<string, string>>
}

export class ConfigError extends Error {
  constructor(readonly problems: Array<{ variable: string; message: string }>) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

export function loadConfig(source: Record<string, string | undefined> = process.env, plugins: readonly Plugin[] = PLUGINS): Config {
  // An empty variable means "not set", the way shells and compose files usually write it.
  const cleaned = Object.fromEntries(Object.entries(source).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''))
  const parsed = envSchema.safeParse(cleaned)
  const problems: Array<{ variable: string; message: string }> = parsed.success ? [] : parsed.error.issues.map((i) => ({ variable: String(i.path[0] ?? 'environment'), message: i.message }))
  const loaded: LoadedPlugin[] = []
  for (const plugin of plugins) {
    const result = plugin.load(cleaned)
    if ('problems' in result) problems.push(...result.problems)
    else loaded.push(result)
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems)
  const env = parsed.data
  return {
    production: env.NODE_ENV === 'production',
    redisUrl: env.REDIS_URL,
    redisCluster: env.HOLDPOINT_REDIS_CLUSTER_NODES ?? null,
    port: env.HOLDPOINT_PORT,
    host: env.HOLDPOINT_HOST,
    publicUrl: (env.HOLDPOINT_PUBLIC_URL ?? `http://127.0.0.1:${env.HOLDPOINT_PORT}`).replace(/\/$/, ''),
    apiTokens: env.HOLDPOINT_API_TOKENS,
    webhookSecret: env.HOLDPOINT_WEBHOOK_SECRET,
    secretKeys: env.HOLDPOINT_SECRET_KEYS,
    keyPrefix: env.HOLDPOINT_KEY_PREFIX,
    bodyLimit: env.HOLDPOINT_BODY_LIMIT,
    logLevel: env.HOLDPOINT_LOG_LEVEL,
    dataDir: env.HOLDPOINT_DATA_DIR,
    resumeFirstDelayMs: env.HOLDPOINT_RESUME_FIRST_DELAY_MS,
    jobLockMs: env.HOLDPOINT_JOB_LOCK_MS,
    inlineAttempts: env.HOLDPOINT_INLINE_ATTEMPTS,
    peopleFile: env.HOLDPOINT_PEOPLE_FILE,
    policyFile: env.HOLDPOINT_POLICY_FILE,
    // Local agents listen on 127.0.0.1 in development; production must opt in explicitly.
    allowPrivateWebhooks: env.HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS === undefined ? env.NODE_ENV !== 'production' : env.HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS === 'true',
    rateLimits: { apiPerMinute: env.HOLDPOINT_RATE_LIMIT_API, linksPerMinute: env.HOLDPOINT_RATE_LIMIT_LINKS },
    trustProxy: env.HOLDPOINT_TRUST_PROXY,
    validation: { timeoutMs: env.HOLDPOINT_VALIDATION_TIMEOUT_MS, workers: env.HOLDPOINT_VALIDATION_WORKERS, maxSchemaBytes: env.HOLDPOINT_SCHEMA_MAX_BYTES },
    tokenScope: env.HOLDPOINT_TOKEN_SCOPE,
    operatorTokens: env.HOLDPOINT_OPERATOR_TOKENS,
    retentionMs: env.HOLDPOINT_RETENTION,
    archiveDir: env.HOLDPOINT_ARCHIVE === 'off' ? null : (env.HOLDPOINT_ARCHIVE_DIR ?? join(env.HOLDPOINT_DATA_DIR, 'archive')),
    env,
    plugins: loaded,
    source: cleaned,
  }
}

/** Config whose secrets are all present (after dev mode filled in any that were missing). */
export interface ResolvedConfig extends Config {
  apiTokens: Array<{ name: string; token: string }>
  webhookSecret: string
  secretKeys: SecretKey[]
}
