import { spawn, spawnSync } from 'node:child_process'
import { mkdir } from 'node:fs/promises'
import { resolve } from 'node:path'
import { Redis } from 'ioredis'

/** True when something answers PING at `url` within a second. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  client.on('error', () => undefined)
  try {
    await client.connect()
    return (await client.ping()) === 'PONG'
  } catch {
    return false
  } finally {
    client.disconnect()
  }
}

function redisServerOnPath(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0
}

export const NO_REDIS_MESSAGE = (url: string) =>
  `No Redis answers at ${url}, and redis-server is not installed. Get Redis one of three ways:\n` +
  `  1. point REDIS_URL at a Redis you run (redis://host:6379)\n` +
  `  2. install redis-server (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) and run npm start again\n` +
  `  3. docker compose up -d redis   (uses this repository's docker-compose.yml)`

/**
 * Dev mode convenience: when nothing answers at a local REDIS_URL, start redis-server with
 * the settings production should use (AOF every second, hz 100, noeviction), keeping its
 * data in `<data dir>/redis` so checkpoints survive restarts. Returns a stop function.
 */
export async function ensureDevRedis(url: string, dataDir: string, log: (msg: string) => void): Promise<(() => Promise<void>) | null> {
  if (await redisAnswers(url)) return null
  const parsed = new URL(url)
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname)
  if (!local || !redisServerOnPath()) throw new Error(NO_REDIS_MESSAGE(url))
  const dir = resolve(dataDir, 'redis')
  await mkdir(dir, { recursive: true })
  const port = parsed.port || '6379'
  const child = spawn(
    'redis-server',
    ['--port', port, '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', '--hz', '100', '--maxmemory-policy', 'noeviction', '--save', ''],
    { stdio: 'ignore' },
  )
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url)) {
      log(`Started redis-server on port ${port} with AOF persistence in ${dir} (stopped when Holdpoint stops).`)
      return async () => {
        const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 })
        client.on('error', () => undefined)
        // SHUTDOWN fsyncs the AOF before exiting; the child's exit confirms it.
        const exited = new Promise((r) => child.once('exit', r))
        await client.connect().then(() => client.shutdown()).catch(() => child.kill('SIGTERM'))
        client.disconnect()
        await exited
      }
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  child.kill('SIGKILL')
  throw new Error(`redis-server did not start on port ${port}; see ${dir}`)
}
