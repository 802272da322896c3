import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))

export interface HoldpointProcess {
  child: ChildProcess
  output: () => string
  /** SIGKILL: the process gets no chance to clean up, like a crash or an OOM kill. */
  kill(): Promise<void>
  stop(): Promise<void>
}

/** Runs `ops/<role>.ts` as its own OS process (through tsx, so tests run the source). */
export function spawnHoldpoint(role: 'server' | 'worker' | 'start', env: Record<string, string>): HoldpointProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', `ops/${role}.ts`], {
    cwd: root,
    env: { ...process.env, HOLDPOINT_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const exited = () => (child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((r) => child.once('exit', () => r())))
  return {
    child,
    output: () => out,
    async kill() {
      child.kill('SIGKILL')
      await exited()
    },
    async stop() {
      child.kill('SIGTERM')
      await exited()
    },
  }
}
