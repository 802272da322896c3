/**
 * The bench's cluster stage: full lifecycles (create → answer → signed resume webhook) through
 * one Holdpoint process, against (a) one redis-server and (b) a 3-master Redis Cluster started
 * the same way (AOF everysec, hz 100, noeviction), side by side. Besides lifecycles/s it
 * reports how the cluster spread the work: Redis commands per master.
 *
 *   tsx test/bench/cluster-stage.ts [lifecycles] [concurrency]
 *
 * Uses dist/ops/start.js when built (what `npm run bench` measures), else the TypeScript
 * source through tsx.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { freePort } from '../support/free-port.js'
import { startRedisCluster } from '../support/redis-cluster.js'
import { startRedisServer } from '../support/redis-process.js'
import { Progress, runPool, summarize, type Summary } from './stats.js'
import { commandCalls } from './redis-info.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const approval = { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] }

export interface ClusterStageRun {
  lifecyclesPerSecond: number
  /** From create to the agent's resume webhook. */
  lifecycleMs: Summary
  /** Redis commands per lifecycle, and each master's share of them (one entry standalone). */
  commandsPerLifecycle: number
  shareByMaster: number[]
  /**
   * Redis CPU (user + sys) per lifecycle, every master together and the busiest master alone,
   * net of what the nodes spend idle (cron at hz 100, cluster bus, idle workers' polling),
   * measured for a few seconds before the run: what each lifecycle adds, so 1000 divided by
   * the busiest master's figure estimates the lifecycles/s at which that master's core is full.
   */
  redisCpuMsPerLifecycle: number
  busiestMasterCpuMsPerLifecycle: number
  /** What the nodes spend idle, CPU ms per second, all together. */
  idleCpuMsPerSecond: number
}

export interface ClusterStageResult {
  lifecycles: number
  concurrency: number
  standalone: ClusterStageRun
  cluster: ClusterStageRun
}

/** Resolves when each checkpoint's resume webhook arrives. */
async function webhookSink() {
  const arrived = new Map<string, () => void>()
  const early = new Set<string>()
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      res.writeHead(200).end()
      const id = (JSON.parse(Buffer.concat(chunks).toString()) as { data: { checkpointId: string } }).data.checkpointId
      const done = arrived.get(id)
      if (done) done()
      else early.add(id)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    resumed: (id: string) => (early.delete(id) ? Promise.resolve() : new Promise<void>((r) => arrived.set(id, r))),
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

type Sink = Awaited<ReturnType<typeof webhookSink>>

function startHoldpointProcess(env: Record<string, string>): ChildProcess {
  const compiled = existsSync(`${root}dist/ops/start.js`)
  const args = compiled ? ['dist/ops/start.js'] : ['--import', 'tsx', 'ops/start.ts']
  return spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
}

async function up(url: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (child.exitCode !== null) throw new Error(`Holdpoint exited with ${child.exitCode} before ${url} came up`)
    if (await fetch(url).then((r) => r.status < 500, () => false)) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${url} did not come up`)
}

async function commands(nodes: Redis[]): Promise<number[]> {
  return Promise.all(nodes.map(commandCalls))
}

/** Each node's CPU seconds so far (main thread and children, user + sys). */
async function cpuSeconds(nodes: Redis[]): Promise<number[]> {
  return Promise.all(
    nodes.map(async (n) => {
      const info = await n.info('cpu')
      return ['used_cpu_sys', 'used_cpu_user'].reduce((sum, field) => sum + Number(new RegExp(`^${field}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0), 0)
    }),
  )
}

async function measure(label: string, redisEnv: Record<string, string>, nodes: Redis[], lifecycles: number, concurrency: number, sink: Sink): Promise<ClusterStageRun> {
  const token = randomBytes(24).toString('base64url')
  const port = await freePort()
  const child = startHoldpointProcess({
    ...redisEnv,
    NODE_ENV: 'production',
    HOLDPOINT_PORT: String(port),
    HOLDPOINT_API_TOKENS: `bench:${token}`,
    HOLDPOINT_WEBHOOK_SECRET: `whsec_${randomBytes(32).toString('base64')}`,
    HOLDPOINT_SECRET_KEYS: `b1:${randomBytes(32).toString('base64')}`,
    HOLDPOINT_LOG_LEVEL: 'warn',
    HOLDPOINT_RATE_LIMIT_API: '0',
    HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true',
    HOLDPOINT_ARCHIVE: 'off',
    // A busy shared machine must not turn a cold schema compile into a refusal.
    HOLDPOINT_VALIDATION_TIMEOUT_MS: '10000',
  })
  const base = `http://127.0.0.1:${port}`
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const one = async (): Promise<number> => {
    const t0 = performance.now()
    const created = await fetch(`${base}/v1/checkpoints`, { method: 'POST', headers, body: JSON.stringify({ task: 'Approve?', responseSchema: approval, resume: { webhook: { url: sink.url } } }) })
    if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`)
    const { id } = (await created.json()) as { id: string }
    const resumed = sink.resumed(id)
    const answered = await fetch(`${base}/v1/checkpoints/${id}/response`, { method: 'POST', headers, body: JSON.stringify({ response: { approved: true }, actor: 'bench' }) })
    if (answered.status !== 200) throw new Error(`answer answered ${answered.status}`)
    await answered.arrayBuffer()
    await resumed
    return performance.now() - t0
  }
  try {
    await up(`${base}/healthz`, child)
    // Warm-up (JIT, pools, script cache) is not measured.
    await runPool(Math.min(100, lifecycles), concurrency, async () => void (await one()))
    const idleFrom = await cpuSeconds(nodes)
    const idleStarted = performance.now()
    await new Promise((r) => setTimeout(r, 3_000))
    const idleSeconds = (performance.now() - idleStarted) / 1000
    const idlePerSecond = (await cpuSeconds(nodes)).map((now, i) => (now - idleFrom[i]!) / idleSeconds)
    const before = await commands(nodes)
    const cpuBefore = await cpuSeconds(nodes)
    const times: number[] = []
    const started = performance.now()
    await runPool(lifecycles, concurrency, async () => void times.push(await one()), new Progress(`${label} c=${concurrency}`, lifecycles))
    const seconds = (performance.now() - started) / 1000
    await new Promise((r) => setTimeout(r, 500))
    const measuredSeconds = (performance.now() - started) / 1000
    const delta = (await commands(nodes)).map((after, i) => after - before[i]!)
    const cpu = (await cpuSeconds(nodes)).map((after, i) => (Math.max(0, after - cpuBefore[i]! - idlePerSecond[i]! * measuredSeconds) * 1000) / lifecycles)
    const total = delta.reduce((a, b) => a + b, 0)
    return {
      lifecyclesPerSecond: Math.round((lifecycles / seconds) * 10) / 10,
      lifecycleMs: summarize(times),
      commandsPerLifecycle: Math.round(total / lifecycles),
      shareByMaster: delta.map((d) => Math.round((d / total) * 100) / 100),
      redisCpuMsPerLifecycle: Math.round(cpu.reduce((a, b) => a + b, 0) * 100) / 100,
      busiestMasterCpuMsPerLifecycle: Math.round(Math.max(...cpu) * 100) / 100,
      idleCpuMsPerSecond: Math.round(idlePerSecond.reduce((a, b) => a + b, 0) * 1000),
    }
  } finally {
    child.kill('SIGTERM')
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)))
  }
}

/** Runs `lifecycles` lifecycles at `concurrency` on one Redis, then on a 3-master cluster. */
export async function clusterStage(lifecycles = 400, concurrency = 32): Promise<ClusterStageResult> {
  const sink = await webhookSink()
  try {
    const single = await startRedisServer({ appendonly: true, appendfsync: 'everysec' })
    const singleAdmin = new Redis(single.url)
    let standalone: ClusterStageRun
    try {
      standalone = await measure('one Redis', { REDIS_URL: single.url }, [singleAdmin], lifecycles, concurrency, sink)
    } finally {
      singleAdmin.disconnect()
      await single.stop()
    }
    const cluster = await startRedisCluster({ appendfsync: 'everysec' })
    try {
      const masters = cluster.nodes.map((_, i) => cluster.node(i))
      const sharded = await measure('3-master cluster', { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds }, masters, lifecycles, concurrency, sink)
      return { lifecycles, concurrency, standalone, cluster: sharded }
    } finally {
      await cluster.stop()
    }
  } finally {
    await sink.close()
  }
}

export function clusterStageMarkdown(r: ClusterStageResult): string {
  const row = (name: string, x: ClusterStageRun) =>
    `| ${name} | ${x.lifecyclesPerSecond} | ${x.lifecycleMs.p50} / ${x.lifecycleMs.p95} / ${x.lifecycleMs.p99} | ${x.commandsPerLifecycle} | ${x.shareByMaster.map((s) => `${Math.round(s * 100)}%`).join(' · ')} | ${x.redisCpuMsPerLifecycle} / ${x.busiestMasterCpuMsPerLifecycle} | ${x.idleCpuMsPerSecond} |`
  return [
    `Cluster stage: ${r.lifecycles} lifecycles at concurrency ${r.concurrency}, one Holdpoint process (server + worker).`,
    '',
    '| Redis | lifecycles/s | lifecycle p50 / p95 / p99 (ms) | Redis commands per lifecycle | share of commands per master | Redis CPU ms per lifecycle (net of idle): all / busiest master | idle Redis CPU ms/s |',
    '|---|---:|---|---:|---|---|---:|',
    row('one node', r.standalone),
    row('3-master cluster', r.cluster),
  ].join('\n')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [lifecycles, concurrency] = process.argv.slice(2).map(Number)
  clusterStage(lifecycles || undefined, concurrency || undefined)
    .then((r) => process.stdout.write(`${clusterStageMarkdown(r)}\n\n${JSON.stringify(r, null, 2)}\n`))
    .catch((error: unknown) => {
      process.stderr.write(`cluster stage failed: ${error instanceof Error ? error.stack : String(error)}\n`)
      process.exit(1)
    })
}
