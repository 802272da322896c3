import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { redisAnswers } from '../../ops/dev-redis.js'
import { freePort } from './free-port.js'

/** A redis-server of the test's own, for persistence and crash tests (never the shared one). */
export interface RedisProcess {
  url: string
  port: number
  dir: string
  child: ChildProcess
  /** SIGKILL: no chance to flush anything beyond what the fsync policy already wrote. */
  kill(): Promise<void>
  /** Starts again on the same port and directory (replays the AOF). */
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function startRedisServer(opts: { appendonly: boolean; appendfsync?: 'always' | 'everysec'; port?: number }): Promise<RedisProcess> {
  const port = opts.port ?? (await freePort())
  const dir = await mkdtemp(join(tmpdir(), 'hp-redis-'))
  const url = `redis://127.0.0.1:${port}`
  const args = [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    '--appendonly', opts.appendonly ? 'yes' : 'no', '--appendfsync', opts.appendfsync ?? 'everysec',
    '--hz', '100', '--maxmemory-policy', 'noeviction',
  ]
  const launch = async () => {
    const child = spawn('redis-server', args, { stdio: 'ignore' })
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(url)) return child
      await new Promise((r) => setTimeout(r, 50))
    }
    child.kill('SIGKILL')
    throw new Error(`redis-server did not start on ${port}`)
  }
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r()))
  const proc: RedisProcess = {
    url,
    port,
    dir,
    child: await launch(),
    async kill() {
      proc.child.kill('SIGKILL')
      await exited(proc.child)
    },
    async restart() {
      proc.child = await launch()
    },
    async stop() {
      proc.child.kill('SIGKILL')
      await exited(proc.child)
      await rm(dir, { recursive: true, force: true })
    },
  }
  return proc
}
