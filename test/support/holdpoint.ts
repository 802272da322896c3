import { randomBytes } from 'node:crypto'
import { Cluster, Redis } from 'ioredis'
import { inject } from 'vitest'
import type { Channel } from '../../plugins/channel.js'
import type { Plugin } from '../../plugins/plugin.js'
import type { VerifierFunction } from '../../verify/verifier.js'
import { clusterNodes, loadConfig, type ResolvedConfig } from '../../ops/config.js'
import type { RedisClient } from '../../engine/redis-client.js'
import { createLogger } from '../../ops/logger.js'
import { startRuntime, type Runtime } from '../../ops/runtime.js'
import { freePort } from './free-port.js'

export const testRedisUrl = (): string => inject('redisUrl')

export function randomPrefix(): string {
  return `hptest-${randomBytes(6).toString('hex')}`
}

/** Secrets every test process of one Holdpoint shares (like a real deployment's env). */
export function testSecrets(): Record<string, string> {
  return {
    HOLDPOINT_API_TOKENS: `agent:${randomBytes(18).toString('base64url')},ops:${randomBytes(18).toString('base64url')}`,
    HOLDPOINT_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    HOLDPOINT_SECRET_KEYS: `k1:${randomBytes(32).toString('base64')}`,
  }
}

export interface TestHoldpoint {
  url: string
  token: string
  prefix: string
  env: Record<string, string>
  config: ResolvedConfig
  runtime: Runtime
  /** The test's own connection to the same Redis (a Cluster client when the env names a cluster). */
  redis: RedisClient
  /** Authenticated JSON request against this Holdpoint. */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>
  close(): Promise<void>
}

export interface StartOptions {
  server?: boolean
  worker?: boolean
  channels?: Channel[]
  /** Share a deployment with another TestHoldpoint: same prefix and secrets. */
  env?: Record<string, string>
  port?: number
  clock?: () => number
  /** Plugins to run instead of every plugin in ops/plugins.ts (the dashboard channel is always on). */
  plugins?: readonly Plugin[]
  /** Receives the lines modules print for the operator (e.g. the dashboard setup link). */
  announce?: (line: string) => void
  /** Local verifier functions (`verify.provider: "function:<name>"`). */
  verifiers?: Readonly<Record<string, VerifierFunction>>
}

/** An in-process Holdpoint on a random key prefix and a free port, on the test Redis. */
export async function startHoldpoint(opts: StartOptions = {}): Promise<TestHoldpoint> {
  const port = opts.port ?? (await freePort())
  const env: Record<string, string> = {
    REDIS_URL: testRedisUrl(),
    HOLDPOINT_KEY_PREFIX: randomPrefix(),
    HOLDPOINT_RESUME_FIRST_DELAY_MS: '100',
    HOLDPOINT_JOB_LOCK_MS: '2000',
    // Test receivers listen on 127.0.0.1; test/hostile turns the SSRF guard back on.
    HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true',
    ...testSecrets(),
    ...opts.env,
    HOLDPOINT_PORT: String(port),
  }
  const loaded = loadConfig(env)
  const config = loaded as ResolvedConfig
  const logger = createLogger(process.env.HOLDPOINT_TEST_LOG ?? 'silent')
  const runtime = await startRuntime(config, {
    server: opts.server ?? true,
    worker: opts.worker ?? true,
    logger,
    ...(opts.channels && { channels: opts.channels }),
    ...(opts.clock && { clock: opts.clock }),
    ...(opts.announce && { announce: opts.announce }),
    ...(opts.plugins && { plugins: opts.plugins }),
    ...(opts.verifiers && { verifiers: opts.verifiers }),
  })
  const redis = testClient(env)
  redis.on('error', () => undefined)
  const url = `http://127.0.0.1:${port}`
  const token = config.apiTokens[0]!.token
  return {
    url,
    token,
    prefix: config.keyPrefix,
    env,
    config,
    runtime,
    redis,
    async api(method, path, body, headers = {}) {
      const res = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
        ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      })
      const text = await res.text()
      return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers }
    },
    async close() {
      await runtime.close()
      redis.disconnect()
    },
  }
}

/** A connection of the test's own to the Redis (or Cluster) this env points at. */
export function testClient(env: Record<string, string>): RedisClient {
  const seeds = env.HOLDPOINT_REDIS_CLUSTER_NODES
  if (!seeds) return new Redis(env.REDIS_URL!)
  const parsed = clusterNodes(seeds)
  if ('error' in parsed) throw new Error(parsed.error)
  return new Cluster(parsed.nodes, { clusterNodeRetryStrategy: (t) => Math.min(100 * t, 1000) })
}

/** Removes every key of a test prefix (never FLUSHALL: the Redis may be shared). */
export async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 })
  redis.on('error', () => undefined)
  try {
    let cursor = '0'
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000)
      cursor = next
      if (keys.length > 0) await redis.unlink(...keys)
    } while (cursor !== '0')
  } finally {
    redis.disconnect()
  }
}

export async function eventually<T>(probe: () => Promise<T | undefined | null | false>, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await probe()
      if (value) return value
    } catch (error) {
      last = error
    }
    await new Promise((r) => setTimeout(r, everyMs))
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last instanceof Error ? `: ${last.message}` : ''}`)
}

export const approvalSchema = {
  type: 'object',
  properties: { approved: { type: 'boolean' }, note: { type: 'string', maxLength: 500 } },
  required: ['approved'],
  additionalProperties: false,
}
