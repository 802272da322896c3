/**
 * `npm run bench`: full checkpoint lifecycles through a real Holdpoint (its own server+worker
 * process, compiled) on its own Redis (AOF everysec, hz 100: the README's settings), next to
 * baselines measured in the same run on the same machine: raw BullMQ add+process, and an
 * in-memory HTTP server doing the same request sequence without durability. Every Holdpoint
 * figure is printed as a ratio to its baseline, because absolute numbers on a shared machine
 * mean little. Writes bench-results/latest.json and latest.md.
 *
 * Then what a lifecycle costs Redis (test/bench/redis-cost.ts: commands by group, bytes per
 * pending checkpoint by key pattern, idle commands per process) and the cluster stage (one
 * node vs a 3-master Redis Cluster, test/bench/cluster-stage.ts).
 *
 *   npm run bench                       # quick: about 8 minutes
 *   npm run bench -- --full             # more lifecycles, 100k pending checkpoints for memory
 *   npm run bench -- --before <git ref> # also builds <ref> and runs it side by side with this
 *                                       # checkout (4 and 32 in flight, commands, memory)
 */
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readFileSync, symlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { cpus, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Queue, Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { queueNames } from '../../plugins/queue-names.js'
import { PLUGINS } from '../../ops/plugins.js'
import { verifyWebhook } from '../../sdk/webhook.js'
import { freePort } from '../support/free-port.js'
import { startRedisServer } from '../support/redis-process.js'
import { Progress, runFor, runPool, summarize, type Summary } from './stats.js'
import { commandCalls, usedMemory } from './redis-info.js'
import { idleCost, idleMarkdown, lifecycleCost, lifecycleMarkdown, memoryCost, memoryMarkdown } from './redis-cost.js'
import { clusterStage, clusterStageMarkdown } from './cluster-stage.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const full = process.argv.includes('--full')
const CONCURRENCIES = [1, 4, 8, 32, 64]
const beforeRef = (() => {
  const i = process.argv.indexOf('--before')
  return i >= 0 ? process.argv[i + 1] : undefined
})()
const PENDING_STAGES = full ? [1_000, 10_000, 100_000] : [1_000, 10_000]
const PENDING_FOR_MEMORY = PENDING_STAGES.at(-1)!
const approval = { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] }

interface LifecycleTimes {
  total: number
  createToDelivered: number
  answerToWebhook: number
}

/** Local receiver of resume webhooks: resolves the waiter registered for each checkpoint. */
async function startReceiver() {
  const waiters = new Map<string, (at: number) => void>()
  const early = new Map<string, number>()
  let sample: { headers: Record<string, string>; body: string } | null = null
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = performance.now()
      const body = Buffer.concat(chunks).toString()
      sample ??= { headers: req.headers as Record<string, string>, body }
      res.writeHead(200).end()
      const id = (JSON.parse(body) as { data: { checkpointId: string } }).data.checkpointId
      const waiter = waiters.get(id)
      if (waiter) waiter(at)
      else early.set(id, at)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received: (id: string) =>
      new Promise<number>((resolve) => {
        const at = early.get(id)
        if (at !== undefined) {
          early.delete(id)
          resolve(at)
        } else waiters.set(id, (t) => (waiters.delete(id), resolve(t)))
      }),
    sample: () => sample,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

type Receiver = Awaited<ReturnType<typeof startReceiver>>

async function lifecycle(base: string, token: string, receiver: Receiver): Promise<LifecycleTimes> {
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const t0 = performance.now()
  const created = await fetch(`${base}/v1/checkpoints`, {
    method: 'POST',
    headers: auth,
    body: JSON.stringify({ task: 'Approve the refund?', payload: { amountUsd: 250, customerId: 'cus_42' }, responseSchema: approval, resume: { webhook: { url: receiver.url } } }),
  })
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${await created.text()}`)
  const { id } = (await created.json()) as { id: string }
  let state = 'pending'
  // The agent API has no "until delivered" wait, so the driver reads until it sees it.
  while (state === 'pending') {
    const got = await fetch(`${base}/v1/checkpoints/${id}`, { headers: auth })
    state = ((await got.json()) as { state: string }).state
    if (state === 'pending') await new Promise((r) => setTimeout(r, 2))
  }
  const t1 = performance.now()
  const hook = receiver.received(id)
  const answered = await fetch(`${base}/v1/checkpoints/${id}/response`, { method: 'POST', headers: auth, body: JSON.stringify({ response: { approved: true }, actor: 'bench' }) })
  if (answered.status !== 200) throw new Error(`answer answered ${answered.status}`)
  await answered.arrayBuffer()
  const t3 = await hook
  return { total: t3 - t0, createToDelivered: t1 - t0, answerToWebhook: t3 - t1 }
}

interface LoadResult {
  concurrency: number
  /**
   * The median round's. Not the best round's: on these shared machines a neighbour's burst
   * can make a whole round of one side faster or slower by a third, and the best of a few
   * rounds follows the one burst that happened to land on it.
   */
  lifecyclesPerSecond: number
  bestLifecyclesPerSecond: number
  /** Every round's, in the order they ran. */
  rounds: number[]
  createToDelivered: Summary
  answerToWebhook: Summary
  /** For a side whose Redis and process the bench owns: over all rounds. */
  commandsPerLifecycle?: number
  /** CPU of the Holdpoint process (main thread and worker threads), from /proc. */
  cpuMsPerLifecycle?: number
}

/** A server the driver runs lifecycles against; Holdpoint sides also say where to measure it. */
interface Side {
  label: string
  base: string
  admin?: Redis
  pid?: number
}

/** CPU time a process has used so far (ms), from /proc; NaN where there is no /proc. */
function processCpuMs(pid: number): number {
  try {
    // utime and stime, in clock ticks (100 per second on Linux), after the parenthesised name.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** Rounds per figure, each side's interleaved with the other's, so both meet the same moments of the machine. */
const ROUNDS = 5

interface Round {
  lifecyclesPerSecond: number
  times: LifecycleTimes[]
}

/** Each round: this long at full concurrency before the measured window, then the window. */
const RAMP_MS = 500
const WINDOW_MS = full ? 10_000 : 3_000

async function driveRound(label: string, base: string, token: string, receiver: Receiver, concurrency: number): Promise<Round> {
  const times: LifecycleTimes[] = []
  const inWindow = await runFor(RAMP_MS, WINDOW_MS, concurrency, async () => void times.push(await lifecycle(base, token, receiver)))
  const lifecyclesPerSecond = Math.round((inWindow / (WINDOW_MS / 1000)) * 10) / 10
  process.stderr.write(`${label.padEnd(34)} c=${concurrency}: ${lifecyclesPerSecond} lifecycles/s (${times.length} lifecycles)\n`)
  return { lifecyclesPerSecond, times }
}

function combine(concurrency: number, rounds: Round[]): LoadResult {
  const times = rounds.flatMap((r) => r.times)
  return {
    concurrency,
    lifecyclesPerSecond: median(rounds.map((r) => r.lifecyclesPerSecond)),
    bestLifecyclesPerSecond: Math.max(...rounds.map((r) => r.lifecyclesPerSecond)),
    rounds: rounds.map((r) => r.lifecyclesPerSecond),
    createToDelivered: summarize(times.map((t) => t.createToDelivered)),
    answerToWebhook: summarize(times.map((t) => t.answerToWebhook)),
  }
}

/**
 * `sides` at one concurrency, ROUNDS rounds each, taking turns round by round. A side with an
 * `admin` connection gets the Redis commands its rounds cost, one with a `pid` its CPU.
 */
async function interleaved(sides: Side[], token: string, receiver: Receiver, concurrency: number): Promise<LoadResult[]> {
  const rounds = sides.map((): Round[] => [])
  const calls = sides.map(() => 0)
  const cpu = sides.map(() => 0)
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, side] of sides.entries()) {
      const callsFrom = side.admin ? await commandCalls(side.admin) : 0
      const cpuFrom = side.pid ? processCpuMs(side.pid) : 0
      rounds[i]!.push(await driveRound(`${side.label} ${r + 1}/${ROUNDS}`, side.base, token, receiver, concurrency))
      if (side.pid) cpu[i]! += processCpuMs(side.pid) - cpuFrom
      if (!side.admin) continue
      // Let the resume jobs' own bookkeeping land before reading the counter.
      await new Promise((resolve) => setTimeout(resolve, 500))
      calls[i]! += (await commandCalls(side.admin)) - callsFrom
    }
  }
  return rounds.map((r, i) => {
    const lifecycles = r.reduce((n, round) => n + round.times.length, 0)
    return {
      ...combine(concurrency, r),
      ...(sides[i]!.admin && { commandsPerLifecycle: Math.round(calls[i]! / lifecycles) }),
      ...(sides[i]!.pid && { cpuMsPerLifecycle: Math.round((cpu[i]! / lifecycles) * 100) / 100 }),
    }
  })
}

async function warmUp(label: string, base: string, token: string, receiver: Receiver): Promise<void> {
  await runPool(100, 8, async () => void (await lifecycle(base, token, receiver)), new Progress(label, 100))
}

function spawnProcess(args: string[], env: Record<string, string>, cwd = root): ChildProcess {
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] })
  return child
}

/** A worktree of `ref`, built, sharing this checkout's node_modules: the "before" side of a comparison. */
function buildAt(ref: string): string {
  const sha = execFileSync('git', ['rev-parse', '--short', ref], { cwd: root }).toString().trim()
  const dir = `/tmp/hp-bench-before-${sha}`
  if (!existsSync(dir)) execFileSync('git', ['worktree', 'add', '--detach', dir, sha], { cwd: root, stdio: 'ignore' })
  if (!existsSync(`${dir}/node_modules`)) symlinkSync(`${root}node_modules`, `${dir}/node_modules`)
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: dir, stdio: 'inherit' })
  if (build.status !== 0) throw new Error(`build of ${ref} failed`)
  return dir
}

interface Target extends Side {
  redisUrl: string
  admin: Redis
  stop(): Promise<void>
}

/** One compiled Holdpoint (server + worker, one process) on a Redis of its own, as the README runs it. */
async function startTarget(label: string, dir: string, token: string, secret: string): Promise<Target> {
  const redis = await startRedisServer({ appendonly: true, appendfsync: 'everysec' })
  const port = await freePort()
  const child = spawnProcess(['dist/ops/start.js'], {
    NODE_ENV: 'production',
    REDIS_URL: redis.url,
    HOLDPOINT_PORT: String(port),
    HOLDPOINT_API_TOKENS: `bench:${token}`,
    HOLDPOINT_WEBHOOK_SECRET: secret,
    HOLDPOINT_SECRET_KEYS: `b1:${randomBytes(32).toString('base64')}`,
    HOLDPOINT_LOG_LEVEL: 'warn',
    // Measure Holdpoint, not the per-token rate limit (one more EVAL per request when on).
    HOLDPOINT_RATE_LIMIT_API: '0',
    HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true',
    // Finished checkpoints stay for 30 days by default anyway; the bench measures lifecycles, not archiving.
    HOLDPOINT_ARCHIVE: 'off',
  }, dir)
  const base = `http://127.0.0.1:${port}`
  await waitHttp(`${base}/healthz`)
  const admin = new Redis(redis.url)
  return {
    label,
    base,
    redisUrl: redis.url,
    admin,
    ...(child.pid !== undefined && { pid: child.pid }),
    async stop() {
      child.kill('SIGTERM')
      admin.disconnect()
      await new Promise((r) => setTimeout(r, 500))
      await redis.stop()
    },
  }
}


interface SideBySide {
  concurrency: number
  before: LoadResult
  after: LoadResult
}

/**
 * The same driver against `before` and `after`, interleaved so both meet the same machine:
 * lifecycles/s and latencies at each concurrency, commands per lifecycle, bytes per pending.
 */
async function compare(before: Target, after: Target, token: string, receiver: Receiver, pending: number) {
  const rows: SideBySide[] = []
  for (const t of [before, after]) await warmUp(`${t.label}: warm-up`, t.base, token, receiver)
  for (const c of [4, 32]) {
    const [b, a] = await interleaved([before, after], token, receiver, c)
    rows.push({ concurrency: c, before: b!, after: a! })
  }
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
  const payload = { note: 'x'.repeat(180), amountUsd: 250 }
  const memory: Record<string, number> = {}
  for (const t of [before, after]) {
    await drained(t.admin)
    const start = await usedMemory(t.admin)
    await runPool(pending, 64, async () => {
      const res = await fetch(`${t.base}/v1/checkpoints`, { method: 'POST', headers: auth, body: JSON.stringify({ task: 'Pending', payload, responseSchema: approval }) })
      if (res.status !== 201) throw new Error(`create answered ${res.status}`)
      await res.arrayBuffer()
    }, new Progress(`${t.label}: ${pending} pending`, pending))
    await drained(t.admin)
    await new Promise((r) => setTimeout(r, 1000))
    memory[t.label] = Math.round(((await usedMemory(t.admin)) - start) / pending)
  }
  return { rows, bytesPerPending: { before: memory[before.label]!, after: memory[after.label]! } }
}

function compareMarkdown(ref: string, c: Awaited<ReturnType<typeof compare>>, pending: number): string {
  const f = (l: LoadResult) => `${l.lifecyclesPerSecond}`
  const lat = (s: Summary) => `${s.p50} / ${s.p99}`
  return [
    `Before (\`${ref}\`) and after (this checkout), same driver, same run, ${ROUNDS} rounds each taking turns (lifecycles/s: median round, each a ${WINDOW_MS / 1000} s window at full concurrency; latencies and commands: all rounds); webhook resume, dashboard only (the load stage's lifecycle):`,
    '',
    '| in flight | lifecycles/s before → after | answer → webhook p50 / p99 (ms) before | after | Redis commands per lifecycle before → after | Holdpoint CPU ms per lifecycle before → after |',
    '|---:|---|---|---|---|---|',
    ...c.rows.map((r) => `| ${r.concurrency} | ${f(r.before)} → ${f(r.after)} | ${lat(r.before.answerToWebhook)} | ${lat(r.after.answerToWebhook)} | ${r.before.commandsPerLifecycle} → ${r.after.commandsPerLifecycle} | ${r.before.cpuMsPerLifecycle} → ${r.after.cpuMsPerLifecycle} |`),
    '',
    `Redis per pending checkpoint (${pending} pending, 200-byte payloads, used_memory): ${c.bytesPerPending.before} B before → ${c.bytesPerPending.after} B after.`,
  ].join('\n')
}

async function waitHttp(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(url).then((r) => r.status < 500).catch(() => false)
    if (ok) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`${url} did not come up`)
}

async function bullmqBaseline(redisUrl: string, jobs: number): Promise<number> {
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null })
  const name = `baseline-${randomBytes(4).toString('hex')}`
  const queue = new Queue(name, { connection, prefix: 'bench' })
  let done = 0
  let finish: () => void = () => undefined
  const finished = new Promise<void>((r) => (finish = r))
  const progress = new Progress('baseline: BullMQ add+process', jobs)
  const worker = new Worker(name, async () => undefined, { connection, prefix: 'bench', concurrency: 50 })
  worker.on('completed', () => {
    progress.tick()
    if (++done === jobs) finish()
  })
  const started = performance.now()
  await runPool(jobs, 64, async (i) => void (await queue.add('job', { i }, { removeOnComplete: true })))
  await finished
  const perSecond = jobs / ((performance.now() - started) / 1000)
  await worker.close()
  await queue.obliterate({ force: true })
  await queue.close()
  connection.disconnect()
  return Math.round(perSecond)
}

/** Waits until no Holdpoint queue has waiting or active jobs. */
async function drained(redis: Redis): Promise<void> {
  // BullMQ does not close a connection it was handed, so this function owns and closes it.
  const connection = redis.duplicate({ maxRetriesPerRequest: null })
  const queues = queueNames(PLUGINS).map((name) => new Queue(name, { connection, prefix: 'hp' }))
  try {
    for (let i = 0; i < 600; i++) {
      const counts = await Promise.all(queues.map((q) => q.getJobCounts('waiting', 'active')))
      if (counts.every((c) => (c.waiting ?? 0) + (c.active ?? 0) === 0)) return
      await new Promise((r) => setTimeout(r, 100))
    }
  } finally {
    await Promise.all(queues.map((q) => q.close()))
    connection.disconnect()
  }
}

async function main(): Promise<void> {
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  if (build.status !== 0) throw new Error('build failed')
  const receiver = await startReceiver()
  const token = randomBytes(24).toString('base64url')
  const secret = `whsec_${randomBytes(32).toString('base64')}`
  const memPort = await freePort()
  const target = await startTarget('after', root, token, secret)
  const inMemory = spawnProcess(['--import', 'tsx', 'test/bench/in-memory-server.ts'], { PORT: String(memPort), TOKEN: token, SECRET: secret })
  const hpBase = target.base
  const memBase = `http://127.0.0.1:${memPort}`
  let stopped = false
  const stopMain = async () => {
    if (stopped) return
    stopped = true
    inMemory.kill('SIGTERM')
    await target.stop()
  }
  try {
    await waitHttp(`${memBase}/`)

    // Warm-up (JIT, connection pools, script cache) is not measured.
    await warmUp('warm-up', hpBase, token, receiver)
    const sample = receiver.sample()
    if (!sample) throw new Error('no webhook received during warm-up')
    await verifyWebhook({ secret, headers: sample.headers, body: sample.body })

    const bullmq = await bullmqBaseline(target.redisUrl, full ? 20_000 : 5_000)
    const rows: Array<{ concurrency: number; holdpoint: LoadResult; ceiling: LoadResult }> = []
    for (const c of CONCURRENCIES) {
      const [ceiling, hp] = await interleaved([{ label: 'in-memory ceiling', base: memBase }, { ...target, label: 'holdpoint' }], token, receiver, c)
      rows.push({ concurrency: c, holdpoint: hp!, ceiling: ceiling! })
    }

    // Growing the pending set (200-byte payloads, 24 h deadlines, so each is also a pending
    // timer): at each size, create and answer latency at concurrency 1, and how late 100
    // short deadlines fire among all those timers.
    const memBefore = (await usedMemory(target.admin))
    const payload = { note: 'x'.repeat(180), amountUsd: 250 }
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' }
    const createOne = async (extra: Record<string, unknown> = {}) => {
      const res = await fetch(`${hpBase}/v1/checkpoints`, { method: 'POST', headers: auth, body: JSON.stringify({ task: 'Pending', payload, responseSchema: approval, ...extra }) })
      if (res.status !== 201) throw new Error(`create answered ${res.status}`)
      return (await res.json()) as { id: string; expiresAt: string }
    }
    const pendingRows: Array<{ pending: number; create: Summary; answer: Summary; timerLateness: Summary; bytesPerPending: number }> = []
    let pending = 0
    for (const stage of PENDING_STAGES) {
      await runPool(stage - pending, 64, async () => void (await createOne()), new Progress(`pending checkpoints → ${stage}`, stage - pending))
      pending = stage
      // Measure a settled system, not one still working off the burst of creates.
      await drained(target.admin)
      await new Promise((r) => setTimeout(r, 1000))
      const bytesPerPending = Math.round(((await usedMemory(target.admin)) - memBefore) / pending)
      const createMs: number[] = []
      const answerMs: number[] = []
      for (let i = 0; i < 100; i++) {
        const t0 = performance.now()
        const cp = await createOne()
        createMs.push(performance.now() - t0)
        const t1 = performance.now()
        const res = await fetch(`${hpBase}/v1/checkpoints/${cp.id}/response`, { method: 'POST', headers: auth, body: JSON.stringify({ response: { approved: true }, actor: 'bench' }) })
        await res.arrayBuffer()
        answerMs.push(performance.now() - t1)
      }
      const timers = await Promise.all(Array.from({ length: 100 }, (_, i) => createOne({ timeoutSeconds: 2 + (i % 3) })))
      const lateness: number[] = []
      for (const t of timers) {
        for (let tries = 0; tries < 200; tries++) {
          const audit = (await (await fetch(`${hpBase}/v1/checkpoints/${t.id}/audit`, { headers: auth })).json()) as { entries: Array<{ kind: string; at: string }> }
          const fired = audit.entries.find((e) => e.kind === 'timed_out')
          if (fired) {
            lateness.push(Date.parse(fired.at) - Date.parse(t.expiresAt))
            break
          }
          await new Promise((r) => setTimeout(r, 100))
        }
      }
      pendingRows.push({ pending, create: summarize(createMs), answer: summarize(answerMs), timerLateness: summarize(lateness), bytesPerPending })
      process.stderr.write(`pending ${pending}: create p50 ${pendingRows.at(-1)!.create.p50} ms, timer lateness p99 ${pendingRows.at(-1)!.timerLateness.p99} ms\n`)
    }
    const bytesPerPending = pendingRows.at(-1)!.bytesPerPending
    // The remaining stages start their own Redis and Holdpoint: stop these so they do not share the cores.
    await stopMain()

    // What the refund example costs Redis, each on a redis-server with nothing else on it.
    const lifecycleRedis = await lifecycleCost(full ? 50 : 20)
    const memoryRedis = await memoryCost(full ? 10_000 : 2_000)
    const idleRedis = await idleCost(full ? 30 : 15)
    const cluster = await clusterStage(full ? 1000 : 300, 32)
    let comparison: Awaited<ReturnType<typeof compare>> | null = null
    const comparisonPending = full ? 10_000 : 5_000
    if (beforeRef) {
      const before = await startTarget('before', buildAt(beforeRef), token, secret)
      const after = await startTarget('after', root, token, secret)
      try {
        comparison = await compare(before, after, token, receiver, comparisonPending)
      } finally {
        await before.stop()
        await after.stop()
      }
    }

    const result = {
      date: new Date().toISOString(),
      machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      mode: full ? 'full' : 'quick',
      baselines: { bullmqJobsPerSecond: bullmq },
      load: rows.map((r) => ({
        concurrency: r.concurrency,
        holdpointLifecyclesPerSecond: r.holdpoint.lifecyclesPerSecond,
        ceilingLifecyclesPerSecond: r.ceiling.lifecyclesPerSecond,
        holdpointRounds: r.holdpoint.rounds,
        ceilingRounds: r.ceiling.rounds,
        holdpointCpuMsPerLifecycle: r.holdpoint.cpuMsPerLifecycle ?? null,
        ratioToCeiling: Math.round((r.holdpoint.lifecyclesPerSecond / r.ceiling.lifecyclesPerSecond) * 100) / 100,
        bestRoundRatioToCeiling: Math.round((r.holdpoint.bestLifecyclesPerSecond / r.ceiling.bestLifecyclesPerSecond) * 100) / 100,
        holdpointCreateToDeliveredMs: r.holdpoint.createToDelivered,
        holdpointAnswerToWebhookMs: r.holdpoint.answerToWebhook,
        ceilingAnswerToWebhookMs: r.ceiling.answerToWebhook,
      })),
      redisCommandsPerLifecycle: rows.find((r) => r.concurrency === 32)?.holdpoint.commandsPerLifecycle ?? 0,
      redisBytesPerPendingCheckpoint: bytesPerPending,
      pendingCheckpointsMeasured: PENDING_FOR_MEMORY,
      underPendingLoad: pendingRows,
      refundExample: { lifecycle: lifecycleRedis, memory: memoryRedis, idle: idleRedis },
      cluster,
      ...(comparison && beforeRef && { comparison: { before: beforeRef, ...comparison } }),
    }
    const at32 = result.load.find((l) => l.concurrency === 32)
    const md = [
      `Measured ${result.date} (${result.mode}) on ${result.machine.cpus} × ${result.machine.cpuModel}, ${result.machine.memoryGiB} GiB, Node ${result.machine.node}; Redis 7 with AOF everysec on the same machine.`,
      '',
      `Baseline: raw BullMQ add+process **${bullmq} jobs/s**.`,
      '',
      `Lifecycles/s: the median of ${ROUNDS} rounds per side, the two sides' rounds taking turns; each round holds its concurrency for ${RAMP_MS / 1000} s, then counts the lifecycles finishing in the next ${WINDOW_MS / 1000} s (equal windows for both sides); latencies: every lifecycle of every round.`,
      '',
      '| concurrency | Holdpoint lifecycles/s | in-memory ceiling/s | ratio | create → delivered p50 / p95 / p99 (ms) | answer → webhook p50 / p95 / p99 (ms) | ceiling answer → webhook p50 / p99 (ms) |',
      '|---:|---:|---:|---:|---|---|---|',
      ...result.load.map(
        (l) =>
          `| ${l.concurrency} | ${l.holdpointLifecyclesPerSecond} | ${l.ceilingLifecyclesPerSecond} | ${l.ratioToCeiling}× | ${l.holdpointCreateToDeliveredMs.p50} / ${l.holdpointCreateToDeliveredMs.p95} / ${l.holdpointCreateToDeliveredMs.p99} | ${l.holdpointAnswerToWebhookMs.p50} / ${l.holdpointAnswerToWebhookMs.p95} / ${l.holdpointAnswerToWebhookMs.p99} | ${l.ceilingAnswerToWebhookMs.p50} / ${l.ceilingAnswerToWebhookMs.p99} |`,
      ),
      '',
      `Redis commands per lifecycle (at concurrency 32, from INFO commandstats): **${result.redisCommandsPerLifecycle}**. Redis memory per pending checkpoint (${PENDING_FOR_MEMORY} pending, 200-byte payloads): **${bytesPerPending} bytes**.`,
      '',
      '| pending checkpoints (= pending timers) | create p50 / p99 (ms) | answer p50 / p99 (ms) | timer lateness p50 / p99 / max (ms) | Redis bytes per pending |',
      '|---:|---|---|---|---:|',
      ...pendingRows.map((r) => `| ${r.pending} | ${r.create.p50} / ${r.create.p99} | ${r.answer.p50} / ${r.answer.p99} | ${r.timerLateness.p50} / ${r.timerLateness.p99} / ${r.timerLateness.max} | ${r.bytesPerPending} |`),
      '',
      `At 32 in flight Holdpoint runs **${at32?.ratioToCeiling ?? '?'}×** the in-memory ceiling's lifecycles/s (rounds: Holdpoint ${at32?.holdpointRounds.join(', ') ?? '?'}; ceiling ${at32?.ceilingRounds.join(', ') ?? '?'}; best round against best round: ${at32?.bestRoundRatioToCeiling ?? '?'}×). The Holdpoint process spends **${at32?.holdpointCpuMsPerLifecycle ?? '?'} ms** of CPU per lifecycle there (main thread and worker threads, from /proc): at its median round's rate, ${at32?.holdpointCpuMsPerLifecycle ? Math.round(at32.holdpointCpuMsPerLifecycle * at32.holdpointLifecyclesPerSecond / 10) : '?'}% of one core.`,
      '',
      '### What the refund example costs Redis',
      '',
      lifecycleMarkdown(lifecycleRedis),
      '',
      memoryMarkdown(memoryRedis),
      '',
      idleMarkdown(idleRedis),
      '',
      '### Cluster stage',
      '',
      clusterStageMarkdown(cluster),
      ...(comparison && beforeRef ? ['', '### Before and after', '', compareMarkdown(beforeRef, comparison, comparisonPending)] : []),
    ].join('\n')
    await mkdir(`${root}bench-results`, { recursive: true })
    await writeFile(`${root}bench-results/latest.json`, JSON.stringify(result, null, 2) + '\n')
    await writeFile(`${root}bench-results/latest.md`, md + '\n')
    process.stdout.write(`\n${md}\n\nWrote bench-results/latest.json and bench-results/latest.md\n`)
  } finally {
    await stopMain()
    await receiver.close()
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`)
  process.exit(1)
})
