import { readFile } from 'node:fs/promises'
import { userInfo } from 'node:os'
import { parseArgs } from 'node:util'
import { ApiClient, ApiError } from './cli-api.js'
import { exportAudit } from './cli-audit.js'

const USAGE = `holdpoint <command>

  start                      API, dashboard and workers in one process
  server | worker            one half (run as many of each as you like against one Redis)
  dev                        start in dev mode (generated secrets, a local Redis if needed)
  create <file.json|->       create a checkpoint from a POST /v1/checkpoints body
         [--idempotency-key k]
  get <id>                   show a checkpoint
  answer <id> <json>         answer for a person [--actor name]
  cancel <id>                cancel [--reason text]
  ls                         list, newest first [--state s] [--limit n]
  audit export               every audit entry [--format jsonl|csv] [--out file] [--verify] [--state s]
                             [--archive: archived checkpoints too, from HOLDPOINT_ARCHIVE_DIR here]
  archive ls                 the archive files, with how many checkpoints each holds
  archive read <file>        archived checkpoints, decrypted with HOLDPOINT_SECRET_KEYS [--id cp_…]
  archive verify [file…]     every archived audit chain; exit 1 naming what is broken
  machine export             write the state machine for Stately's editor [--out file]
  operator add               make a dashboard operator and print a one-time setup link
         --email a@b --name n  (talks to Redis directly: REDIS_URL, HOLDPOINT_KEY_PREFIX, HOLDPOINT_PUBLIC_URL)
  people import <file.json>  load people and groups (the HOLDPOINT_PEOPLE_FILE format) into the directory
  doctor                     check Redis settings and each configured channel's credentials
  health                     exit 0 when Redis answers and a worker is alive (container health checks)
  mcp                        MCP server on stdio for agents (Claude Code, Cursor, …): ask_human,
                             wait_for_answer, cancel_request, approve_tool_use

API commands and mcp use HOLDPOINT_URL and HOLDPOINT_API_TOKEN, or the dev-mode file .data/dev.json.`

type Flags = Record<string, string | boolean | undefined>

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`)
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing ${what}`)
  return value
}

class UsageError extends Error {}

function str(flags: Flags, name: string): string | undefined {
  const value = flags[name]
  return typeof value === 'string' ? value : undefined
}

async function readBody(file: string): Promise<unknown> {
  const text = file === '-' ? await new Response(process.stdin as unknown as ReadableStream).text() : await readFile(file, 'utf8')
  try {
    return JSON.parse(text)
  } catch {
    throw new UsageError(`${file} is not valid JSON`)
  }
}

// Loaded only by the commands that need them: the configuration pulls in every plugin, and
// API commands start as a fresh process each time.
async function configOrExit() {
  const { ConfigError, loadConfig } = await import('./config.js')
  try {
    return loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.message)
    throw error
  }
}

async function doctor(): Promise<number> {
  const config = await configOrExit()
  const { channelChecks, formatChecks, redisChecks } = await import('./cli-doctor.js')
  const checks = [...(await redisChecks(config)), ...(await channelChecks(config))]
  process.stdout.write(`${formatChecks(checks)}\n`)
  const failing = checks.filter((c) => !c.ok).length
  process.stdout.write(failing === 0 ? 'all good\n' : `${failing} thing${failing === 1 ? '' : 's'} to fix\n`)
  return failing === 0 ? 0 : 1
}

async function health(): Promise<number> {
  const config = await configOrExit()
  const { workersAlive } = await import('../queues/worker-pool.js')
  const { RedisConnections } = await import('./redis-connections.js')
  const redis = new RedisConnections(config).open('command')
  redis.on('error', () => undefined)
  try {
    await redis.ping()
    const alive = await workersAlive(redis, config.keyPrefix)
    process.stdout.write(`redis ok, ${alive} worker${alive === 1 ? '' : 's'} alive\n`)
    return alive > 0 ? 0 : 1
  } catch (error) {
    process.stdout.write(`redis unreachable: ${(error as Error).message}\n`)
    return 1
  } finally {
    redis.disconnect()
  }
}

async function openArchive() {
  const { archiveCli } = await import('./cli-archive.js')
  try {
    return await archiveCli(await configOrExit())
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

async function archive(args: string[], id?: string): Promise<number> {
  const [sub, ...rest] = args
  const { archiveLs, archiveRead, archiveVerify } = await import('./cli-archive.js')
  if (sub === 'ls') {
    await archiveLs(await openArchive(), process.stdout)
    return 0
  }
  if (sub === 'read') {
    const found = await archiveRead(await openArchive(), need(rest[0], 'an archive file'), id, process.stdout)
    if (id !== undefined && found === 0) {
      process.stderr.write(`holdpoint: ${id} is not in ${rest[0] ?? ''}\n`)
      return 1
    }
    return 0
  }
  if (sub === 'verify') {
    const report = await archiveVerify(await openArchive(), rest)
    for (const t of report.truncated) process.stderr.write(`${t}: truncated last batch (a crash while writing; those checkpoints stayed in Redis and were archived again)\n`)
    for (const b of report.broken) process.stdout.write(`BROKEN ${b.file} ${b.id}: ${b.reason}\n`)
    process.stderr.write(`${report.checkpoints} checkpoints in ${report.files} files; ${report.broken.length === 0 ? 'every audit chain verifies' : `${report.broken.length} broken`}\n`)
    return report.broken.length === 0 ? 0 : 1
  }
  throw new UsageError('usage: holdpoint archive ls | read <file> [--id cp_…] | verify [file…]')
}

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'idempotency-key': { type: 'string' },
      actor: { type: 'string' },
      reason: { type: 'string' },
      state: { type: 'string' },
      limit: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      verify: { type: 'boolean' },
      archive: { type: 'boolean' },
      id: { type: 'string' },
      email: { type: 'string' },
      name: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  const flags: Flags = values
  const [command, ...args] = positionals
  if (command === undefined || flags.help === true || command === 'help') {
    process.stdout.write(`${USAGE}\n`)
    return command === undefined && flags.help !== true ? 64 : 0
  }
  switch (command) {
    case 'start':
      await import('./start.js')
      return -1
    case 'server':
      await import('./server.js')
      return -1
    case 'worker':
      await import('./worker.js')
      return -1
    case 'dev':
      // Dev mode is simply "not production": generated secrets and a local Redis if needed.
      delete process.env.NODE_ENV
      await import('./start.js')
      return -1
    case 'create': {
      const body = await readBody(need(args[0], 'a JSON file (or - for stdin)'))
      const key = str(flags, 'idempotency-key')
      print(await (await ApiClient.connect()).call('POST', '/v1/checkpoints', body, key ? { 'idempotency-key': key } : {}))
      return 0
    }
    case 'get':
      print(await (await ApiClient.connect()).call('GET', `/v1/checkpoints/${encodeURIComponent(need(args[0], 'a checkpoint id'))}`))
      return 0
    case 'answer': {
      const id = need(args[0], 'a checkpoint id')
      let response: unknown
      try {
        response = JSON.parse(need(args[1], 'the answer as JSON'))
      } catch {
        throw new UsageError('the answer must be JSON, e.g. \'{"approved":true}\'')
      }
      const actor = str(flags, 'actor') ?? `cli:${userInfo().username}`
      print(await (await ApiClient.connect()).call('POST', `/v1/checkpoints/${encodeURIComponent(id)}/response`, { response, actor }))
      return 0
    }
    case 'cancel': {
      const reason = str(flags, 'reason')
      print(await (await ApiClient.connect()).call('POST', `/v1/checkpoints/${encodeURIComponent(need(args[0], 'a checkpoint id'))}/cancel`, reason ? { reason } : {}))
      return 0
    }
    case 'ls': {
      const query = new URLSearchParams({ limit: str(flags, 'limit') ?? '20', ...(str(flags, 'state') && { state: str(flags, 'state') }) })
      const page = await (await ApiClient.connect()).call<{ items: Array<{ id: string; state: string; createdAt: string; task: string }> }>('GET', `/v1/checkpoints?${query.toString()}`)
      for (const c of page.items) process.stdout.write(`${c.id}\t${c.state.padEnd(9)}\t${c.createdAt}\t${c.task.replace(/\s+/g, ' ').slice(0, 80)}\n`)
      return 0
    }
    case 'audit': {
      if (args[0] !== 'export') throw new UsageError('usage: holdpoint audit export [--format jsonl|csv] [--out file] [--verify]')
      const format = str(flags, 'format') ?? 'jsonl'
      if (format !== 'jsonl' && format !== 'csv') throw new UsageError('--format is jsonl or csv')
      const archive = flags.archive === true ? await openArchive() : undefined
      const result = await exportAudit(await ApiClient.connect(), { format, out: str(flags, 'out'), verify: flags.verify === true, state: str(flags, 'state'), archive })
      const summary = `${result.entries} entries of ${result.checkpoints} checkpoints exported`
      if (flags.verify === true) {
        process.stderr.write(`${summary}; ${result.broken.length === 0 ? 'every hash chain verifies' : `BROKEN chains: ${result.broken.join(', ')}`}\n`)
        return result.broken.length === 0 ? 0 : 1
      }
      process.stderr.write(`${summary}\n`)
      return 0
    }
    case 'archive':
      return archive(args, str(flags, 'id'))
    case 'machine': {
      if (args[0] !== 'export') throw new UsageError('usage: holdpoint machine export [--out file]')
      const { DEFAULT_MACHINE_FILE, exportMachine } = await import('./machine-export.js')
      process.stdout.write(`machine definition written to ${await exportMachine(str(flags, 'out') ?? DEFAULT_MACHINE_FILE)}\n`)
      return 0
    }
    case 'mcp': {
      // Loaded on demand: the MCP SDK is only needed by this command.
      const { runStdioServer } = await import('../mcp/stdio.js')
      await runStdioServer()
      return -1
    }
    case 'operator': {
      if (args[0] !== 'add') throw new UsageError('usage: holdpoint operator add --email a@b --name "Full Name"')
      const config = await configOrExit()
      const { addOperator } = await import('./cli-setup.js')
      const added = await addOperator(config, { email: str(flags, 'email'), name: str(flags, 'name') }).catch((error: Error) => {
        throw error.message.startsWith('--') ? new UsageError(error.message) : error
      })
      process.stderr.write(`${added.created ? 'added' : 'made'} operator ${added.personId}; the link works once, for 7 days:\n`)
      process.stdout.write(`${added.link}\n`)
      return 0
    }
    case 'people': {
      if (args[0] !== 'import') throw new UsageError('usage: holdpoint people import <people.json>')
      const file = need(args[1], 'a people file (JSON array)')
      const config = await configOrExit()
      const { importPeople } = await import('./cli-setup.js')
      const count = await importPeople(config, file)
      process.stdout.write(`${count} ${count === 1 ? 'person' : 'people'} imported\n`)
      return 0
    }
    case 'doctor':
      return doctor()
    case 'health':
      return health()
    default:
      throw new UsageError(`unknown command ${command}\n\n${USAGE}`)
  }
}

/** Runs the CLI; the long-running commands (start, server, worker, dev) keep the process. */
export async function cli(argv: string[]): Promise<void> {
  try {
    const code = await run(argv)
    if (code >= 0) process.exitCode = code
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    process.stderr.write(`holdpoint: ${(error as Error).message}\n`)
    process.exitCode = error instanceof ApiError ? 1 : usage ? 64 : 1
  }
}

await cli(process.argv.slice(2))
