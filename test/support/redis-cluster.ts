import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Cluster, Redis } from 'ioredis'
import { redisAnswers } from '../../ops/dev-redis.js'
import { freePort } from './free-port.js'

const run = promisify(execFile)

/** One master of a test cluster: its own port, cluster-bus port and data directory. */
export interface ClusterNodeProcess {
  port: number
  busPort: number
  dir: string
  child: ChildProcess
}

/**
 * A real Redis Cluster of the test's own (three masters, no replicas) on spare ports, with
 * AOF `always` by default so a SIGKILLed master loses nothing it acknowledged. Never the
 * shared Redis.
 */
export interface RedisClusterProcess {
  nodes: ClusterNodeProcess[]
  /** `host:port,…`: what HOLDPOINT_REDIS_CLUSTER_NODES takes. */
  seeds: string
  /** A plain connection to one master (for CLUSTER/INFO/SCAN of that node). */
  node(i: number): Redis
  /** An ioredis Cluster client over the seeds (the caller closes it). */
  client(): Cluster
  /** SIGKILL one master: no chance to write anything its fsync policy had not written. */
  kill(i: number): Promise<void>
  /** Starts a killed master again on its port and directory (it replays its AOF and nodes.conf). */
  restart(i: number): Promise<void>
  /** Until every master reports `cluster_state:ok`. */
  waitOk(timeoutMs?: number): Promise<void>
  /** Every key on every master matching `pattern` (SCAN per node: each answers for its own slots). */
  scanAll(pattern: string): Promise<string[]>
  stop(): Promise<void>
}

async function sparePorts(): Promise<{ port: number; busPort: number }> {
  const port = await freePort()
  let busPort = await freePort()
  while (busPort === port) busPort = await freePort()
  return { port, busPort }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()))
}

async function launch(node: Omit<ClusterNodeProcess, 'child'>, appendfsync: 'always' | 'everysec'): Promise<ChildProcess> {
  const args = [
    '--port', String(node.port), '--bind', '127.0.0.1', '--dir', node.dir,
    '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-port', String(node.busPort),
    '--cluster-node-timeout', '3000',
    '--appendonly', 'yes', '--appendfsync', appendfsync, '--save', '',
    '--hz', '100', '--maxmemory-policy', 'noeviction',
  ]
  const child = spawn('redis-server', args, { stdio: 'ignore' })
  for (let i = 0; i < 100; i++) {
    if (await redisAnswers(`redis://127.0.0.1:${node.port}`)) return child
    await new Promise((r) => setTimeout(r, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`redis-server (cluster node) did not start on ${node.port}`)
}

/** `appendfsync`: `always` (tests: nothing acknowledged is lost) or `everysec` (production's setting, the bench). */
export async function startRedisCluster(opts: { masters?: number; appendfsync?: 'always' | 'everysec' } = {}): Promise<RedisClusterProcess> {
  const masters = opts.masters ?? 3
  const appendfsync = opts.appendfsync ?? 'always'
  const nodes: ClusterNodeProcess[] = []
  const admins = new Map<number, Redis>()
  try {
    for (let i = 0; i < masters; i++) {
      const ports = await sparePorts()
      const dir = await mkdtemp(join(tmpdir(), 'hp-cluster-'))
      const base = { ...ports, dir }
      nodes.push({ ...base, child: await launch(base, appendfsync) })
    }
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'])
  } catch (error) {
    for (const n of nodes) n.child.kill('SIGKILL')
    await Promise.all(nodes.map((n) => rm(n.dir, { recursive: true, force: true })))
    throw error
  }
  const admin = (i: number): Redis => {
    let client = admins.get(i)
    if (!client || client.status === 'end') {
      client = new Redis({ port: nodes[i]!.port, host: '127.0.0.1', maxRetriesPerRequest: 1, retryStrategy: (times) => (times > 50 ? null : 100) })
      client.on('error', () => undefined)
      admins.set(i, client)
    }
    return client
  }
  // A test process that dies (or a hook that times out) must not leave masters running.
  const killAll = () => nodes.forEach((n) => n.child.kill('SIGKILL'))
  process.once('exit', killAll)
  const cluster: RedisClusterProcess = {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    node: admin,
    client() {
      const client = new Cluster(nodes.map((n) => ({ host: '127.0.0.1', port: n.port })), { clusterNodeRetryStrategy: (t) => Math.min(100 * t, 1000) })
      client.on('error', () => undefined)
      return client
    },
    async kill(i) {
      nodes[i]!.child.kill('SIGKILL')
      await exited(nodes[i]!.child)
    },
    async restart(i) {
      nodes[i]!.child = await launch(nodes[i]!, appendfsync)
    },
    async waitOk(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const states = await Promise.all(nodes.map((_, i) => admin(i).cluster('INFO').then(String, () => '')))
        if (states.every((s) => s.includes('cluster_state:ok'))) return
        if (Date.now() > deadline) throw new Error(`cluster not ok within ${timeoutMs} ms: ${states.map((s) => /cluster_state:\w+/.exec(s)?.[0] ?? 'no answer').join(', ')}`)
        await new Promise((r) => setTimeout(r, 100))
      }
    },
    async scanAll(pattern) {
      const found: string[] = []
      for (let i = 0; i < nodes.length; i++) {
        let cursor = '0'
        do {
          const [next, keys] = await admin(i).scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
          cursor = next
          found.push(...keys)
        } while (cursor !== '0')
      }
      return found
    },
    async stop() {
      process.off('exit', killAll)
      for (const client of admins.values()) client.disconnect()
      for (const n of nodes) n.child.kill('SIGKILL')
      await Promise.all(nodes.map((n) => exited(n.child)))
      await Promise.all(nodes.map((n) => rm(n.dir, { recursive: true, force: true })))
    },
  }
  await cluster.waitOk()
  return cluster
}
