import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../ops/config.js'
import { freePort } from './support/free-port.js'
import { eventually } from './support/holdpoint.js'
import { spawnHoldpoint, type HoldpointProcess } from './support/spawn-holdpoint.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined)
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hp-start-'))
  cleanup.push(() => rm(dir, { recursive: true, force: true }))
  return dir
}

function run(env: Record<string, string>): HoldpointProcess {
  const proc = spawnHoldpoint('start', { HOLDPOINT_LOG_LEVEL: 'warn', ...env })
  cleanup.push(() => proc.kill())
  return proc
}

const exitCode = (p: HoldpointProcess) =>
  p.child.exitCode !== null ? Promise.resolve(p.child.exitCode) : new Promise<number | null>((r) => p.child.once('exit', (code) => r(code)))

describe('npm start (dev mode)', () => {
  it('starts its own redis-server with AOF when none answers, prints credentials, and keeps both across a restart', async () => {
    const dataDir = await tempDir()
    const env = { REDIS_URL: `redis://127.0.0.1:${await freePort()}`, HOLDPOINT_PORT: String(await freePort()), HOLDPOINT_DATA_DIR: dataDir }
    const base = `http://127.0.0.1:${env.HOLDPOINT_PORT}`

    const first = run(env)
    await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 20_000)
    expect(first.output()).toMatch(/Started redis-server on port \d+ with AOF persistence/)
    const dev = JSON.parse(await readFile(join(dataDir, 'dev.json'), 'utf8')) as { apiToken: string; webhookSecret: string }
    // The banner follows readiness by a moment (workers report ready before it is printed).
    await eventually(async () => first.output().includes(dev.apiToken), 10_000)
    expect(first.output()).toContain(`${base}/v1/checkpoints`)
    const created = await fetch(`${base}/v1/checkpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.apiToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'Survive a restart', responseSchema: { type: 'object' } }),
    })
    expect(created.status).toBe(201)
    const { id } = (await created.json()) as { id: string }

    await first.stop()
    expect(first.child.exitCode).toBe(0)

    const second = run(env)
    await eventually(async () => (await fetch(`${base}/readyz`).catch(() => null))?.status === 200, 20_000)
    await eventually(async () => second.output().includes(dev.apiToken), 10_000)
    expect(second.output()).not.toMatch(/generated/)
    const again = await fetch(`${base}/v1/checkpoints/${id}`, { headers: { authorization: `Bearer ${dev.apiToken}` } })
    expect(again.status).toBe(200)
    await second.stop()
  }, 60_000)

  it('names the three ways to get Redis when none answers and redis-server is not installed', async () => {
    const proc = run({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, HOLDPOINT_DATA_DIR: await tempDir(), PATH: '/nonexistent' })
    expect(await exitCode(proc)).toBe(69)
    const out = proc.output()
    expect(out).toContain('REDIS_URL')
    expect(out).toContain('redis-server')
    expect(out).toContain('docker compose up')
  })

  it('stops at start with one message naming each bad variable', async () => {
    const proc = run({ HOLDPOINT_PORT: 'eighty', HOLDPOINT_WEBHOOK_SECRET: 'plain', REDIS_URL: 'not a url' })
    expect(await exitCode(proc)).toBe(78)
    const out = proc.output()
    expect(out).toMatch(/Invalid configuration/)
    for (const name of ['HOLDPOINT_PORT', 'HOLDPOINT_WEBHOOK_SECRET', 'REDIS_URL']) expect(out).toContain(name)
    expect(out.match(/Invalid configuration/g)).toHaveLength(1)
  })
})

describe('configuration', () => {
  it('requires every secret in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/HOLDPOINT_API_TOKENS[\s\S]*HOLDPOINT_WEBHOOK_SECRET[\s\S]*HOLDPOINT_SECRET_KEYS/)
  })

  it('parses named tokens and rotating keys, and defaults the public URL to the port', () => {
    const config = loadConfig({
      HOLDPOINT_PORT: '9000',
      HOLDPOINT_API_TOKENS: 'billing:aaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb',
      HOLDPOINT_SECRET_KEYS: `new:${Buffer.alloc(32, 1).toString('base64')},old:${Buffer.alloc(32, 2).toString('base64')}`,
    })
    expect(config.publicUrl).toBe('http://127.0.0.1:9000')
    expect(config.apiTokens).toEqual([
      { name: 'billing', token: 'aaaaaaaaaaaaaaaaaaaa' },
      { name: 'token-2', token: 'bbbbbbbbbbbbbbbbbbbb' },
    ])
    expect(config.secretKeys?.map((k) => k.kid)).toEqual(['new', 'old'])
  })
})
