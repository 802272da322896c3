import type { Channel } from '../plugins/channel.js'
import { ConfigError, loadConfig } from './config.js'
import { resolveSecrets } from './dev-secrets.js'
import { ensureDevRedis, NO_REDIS_MESSAGE, redisAnswers } from './dev-redis.js'
import { consoleLogger } from './logger.js'
import { startRuntime } from './runtime.js'

export interface Role {
  server: boolean
  worker: boolean
  channels?: Channel[]
}

const SHUTDOWN_GRACE_MS = 25_000

/**
 * Boots a process: validate config (one message naming every bad variable), fill dev-mode
 * secrets, make sure Redis answers, start the runtime, and shut down gracefully on
 * SIGTERM/SIGINT: stop taking work, let running jobs finish, close Redis.
 */
export async function main(role: Role): Promise<void> {
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`holdpoint: ${error.message}\n`)
      process.exit(78)
    }
    throw error
  }
  const logger = consoleLogger(config.logLevel, { production: config.production, tty: process.stdout.isTTY })
  const say = (line: string) => process.stdout.write(`holdpoint: ${line}\n`)

  let stopRedis: (() => Promise<void>) | null = null
  const seeds = config.redisCluster?.map((n) => `redis://${n.host.includes(':') ? `[${n.host}]` : n.host}:${n.port}`) ?? null
  if (seeds) {
    // A Cluster is never started for you: at least one seed node must answer.
    const answering = await Promise.all(seeds.map((seed) => redisAnswers(seed)))
    if (!answering.some(Boolean)) {
      process.stderr.write(`holdpoint: no node of HOLDPOINT_REDIS_CLUSTER_NODES answers (${seeds.join(', ')})\n`)
      process.exit(69)
    }
  } else if (!config.production) {
    try {
      stopRedis = await ensureDevRedis(config.redisUrl, config.dataDir, say)
    } catch (error) {
      process.stderr.write(`holdpoint: ${(error as Error).message}\n`)
      process.exit(69)
    }
  } else if (!(await redisAnswers(config.redisUrl))) {
    process.stderr.write(`holdpoint: ${NO_REDIS_MESSAGE(config.redisUrl)}\n`)
    process.exit(69)
  }

  const { config: resolved, generated, devFile } = await resolveSecrets(config)
  const runtime = await startRuntime(resolved, { server: role.server, worker: role.worker, logger, announce: say, ...(role.channels && { channels: role.channels }) })

  if (devFile) {
    const token = resolved.apiTokens[0]?.token ?? ''
    say(`dev mode: credentials in ${devFile}${generated.length ? ` (generated ${generated.join(', ')})` : ''}`)
    say(`  API token       ${token}`)
    say(`  webhook secret  ${resolved.webhookSecret}`)
  }
  if (runtime.url) {
    say(`API        ${resolved.publicUrl}/v1/checkpoints`)
    say(`dashboard  ${resolved.publicUrl}/`)
    say(`health     ${resolved.publicUrl}/readyz   metrics ${resolved.publicUrl}/metrics`)
  }
  if (role.worker) say('workers running (delivery, timers, resume, intake)')

  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    logger.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), SHUTDOWN_GRACE_MS)
    force.unref()
    runtime
      .close()
      .then(() => stopRedis?.())
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'shutdown failed')
        process.exit(1)
      })
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
