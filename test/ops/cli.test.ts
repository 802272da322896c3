import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
let hp: TestHoldpoint
let dir: string

beforeAll(async () => {
  hp = await startHoldpoint({ plugins: [] })
  dir = await mkdtemp(join(tmpdir(), 'holdpoint-cli-'))
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
  await rm(dir, { recursive: true, force: true })
})

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** The CLI as its own process, from the source (the compiled bin runs the same module). */
function holdpoint(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'ops/cli.ts', ...args],
      {
        cwd: root,
        // No dev file may leak in from the working copy: a bogus HOLDPOINT_DEV_FILE.
        env: { PATH: process.env.PATH ?? '', HOLDPOINT_DEV_FILE: join(dir, 'none.json'), HOLDPOINT_URL: hp.url, HOLDPOINT_API_TOKEN: hp.token, REDIS_URL: hp.env.REDIS_URL!, HOLDPOINT_KEY_PREFIX: hp.prefix, ...env },
        timeout: 30_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}

describe('holdpoint CLI', () => {
  // Each step is a fresh Node process: generous time when CI runs other suites beside it.
  it('creates, gets, lists, answers and cancels through the API', { timeout: 60_000 }, async () => {
    const file = join(dir, 'request.json')
    await writeFile(file, JSON.stringify({ task: 'Approve the CLI refund?', responseSchema: approvalSchema, payload: { amountUsd: 5 } }))
    const created = await holdpoint(['create', file, '--idempotency-key', 'cli-1'])
    expect(created.code, created.stderr).toBe(0)
    const cp = JSON.parse(created.stdout) as { id: string; state: string }
    expect(cp.state).toBe('delivered')

    const got = await holdpoint(['get', cp.id])
    expect(JSON.parse(got.stdout)).toMatchObject({ id: cp.id, task: 'Approve the CLI refund?' })
    const listed = await holdpoint(['ls', '--limit', '5'])
    expect(listed.stdout).toContain(cp.id)
    expect(listed.stdout).toContain('Approve the CLI refund?')

    const invalid = await holdpoint(['answer', cp.id, '{"approved":"yes"}'])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('HTTP 422')
    expect(invalid.stderr).toContain('/approved')
    const answered = await holdpoint(['answer', cp.id, '{"approved":true}', '--actor', 'ana@example.com'])
    expect(answered.code, answered.stderr).toBe(0)
    expect(JSON.parse(answered.stdout)).toMatchObject({ state: 'resolved', respondedBy: { actor: 'ana@example.com' } })

    const other = JSON.parse((await holdpoint(['create', file])).stdout) as { id: string }
    const cancelled = await holdpoint(['cancel', other.id, '--reason', 'not needed'])
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ state: 'cancelled' })
  })

  it('exports the audit as JSONL and CSV and verifies every chain', { timeout: 45_000 }, async () => {
    const jsonl = join(dir, 'audit.jsonl')
    const run = await holdpoint(['audit', 'export', '--out', jsonl, '--verify'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).toMatch(/entries of \d+ checkpoints exported; every hash chain verifies/)
    const entries = (await readFile(jsonl, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { checkpointId: string; kind: string; hash: string })
    expect(entries.map((e) => e.kind)).toEqual(expect.arrayContaining(['created', 'answered', 'cancelled']))
    expect(entries.every((e) => e.checkpointId.startsWith('cp_') && e.hash.length > 0)).toBe(true)
    const csv = await holdpoint(['audit', 'export', '--format', 'csv'])
    const rows = csv.stdout.trim().split('\n')
    expect(rows[0]).toBe('checkpointId,seq,at,kind,state,channel,actor,name,shownHash,data,prev,hash,kid')
    expect(rows).toHaveLength(entries.length + 1)

    // Tamper with one stored entry: --verify names the checkpoint and fails.
    const victim = entries[0]!.checkpointId
    const key = `${hp.prefix}:audit:{${victim}}`
    const first = JSON.parse((await hp.redis.lindex(key, 0))!) as Record<string, unknown>
    await hp.redis.lset(key, 0, JSON.stringify({ ...first, t: Date.parse('2000-01-01T00:00:00.000Z') }))
    const broken = await holdpoint(['audit', 'export', '--out', join(dir, 'again.jsonl'), '--verify'])
    expect(broken.code).toBe(1)
    expect(broken.stderr).toContain(`BROKEN chains: ${victim}`)
  })

  it('writes the machine definition for Stately', async () => {
    const out = join(dir, 'machine.json')
    const run = await holdpoint(['machine', 'export', '--out', out])
    expect(run.code, run.stderr).toBe(0)
    const definition = JSON.parse(await readFile(out, 'utf8')) as { id: string; states: Record<string, unknown> }
    expect(definition.id).toBe('checkpoint')
    expect(Object.keys(definition.states)).toEqual(expect.arrayContaining(['open', 'resolved', 'expired', 'cancelled']))
  })

  it('doctor checks Redis and each configured channel, and says what to fix without printing secrets', { timeout: 45_000 }, async () => {
    // Local stand-ins for Slack (rejects the token) and Telegram (accepts it).
    const provider: Server = createServer((req, res) => {
      res.setHeader('content-type', 'application/json')
      if (req.url?.endsWith('/auth.test')) res.end(JSON.stringify({ ok: false, error: 'invalid_auth' }))
      else if (req.url?.endsWith('/getMe')) res.end(JSON.stringify({ ok: true, result: { username: 'holdpoint_bot' } }))
      else res.writeHead(404).end('{}')
    })
    await new Promise<void>((resolve) => provider.listen(0, '127.0.0.1', resolve))
    const base = `http://127.0.0.1:${(provider.address() as AddressInfo).port}`
    try {
      const slackToken = 'xoxb-doctor-secret-123456'
      const telegramToken = '123456:doctor-telegram-secret'
      const run = await holdpoint(['doctor'], {
        SLACK_BOT_TOKEN: slackToken,
        SLACK_SIGNING_SECRET: 'signing-secret-doctor',
        SLACK_API_URL: `${base}/api/`,
        TELEGRAM_BOT_TOKEN: telegramToken,
        TELEGRAM_API_ROOT: base,
      })
      expect(run.stdout).toMatch(/ok {3}redis version: \d+\.\d+/)
      expect(run.stdout).toMatch(/maxmemory-policy: /)
      expect(run.stdout).toMatch(/appendonly \(AOF\): /)
      expect(run.stdout).toMatch(/hz: \d+/)
      expect(run.stdout).toContain('FIX  slack: auth.test: invalid_auth')
      expect(run.stdout).toContain('→ set SLACK_BOT_TOKEN')
      expect(run.stdout).toContain('ok   telegram: getMe ok (@holdpoint_bot')
      expect(run.code).toBe(1)
      expect(run.stdout + run.stderr).not.toContain(slackToken)
      expect(run.stdout + run.stderr).not.toContain(telegramToken)
    } finally {
      provider.close()
    }
    const unreachable = await holdpoint(['doctor'], { REDIS_URL: 'redis://127.0.0.1:1' })
    expect(unreachable.code).toBe(1)
    expect(unreachable.stdout).toContain('FIX  redis: cannot connect')
  })

  it('health passes with a live worker and explains usage errors', async () => {
    expect((await holdpoint(['health'])).code).toBe(0)
    const unknown = await holdpoint(['frobnicate'])
    expect(unknown.code).toBe(64)
    expect(unknown.stderr).toContain('unknown command frobnicate')
  })
})
