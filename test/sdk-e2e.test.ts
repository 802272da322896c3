import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { awaitHuman, CheckpointCancelledError, CheckpointTimeoutError, createCheckpoint, waitForCheckpoint } from 'holdpoint/sdk'
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest'
import { z } from 'zod'
import { freePort } from './support/free-port.js'
import { deleteKeys, eventually, randomPrefix, startHoldpoint, testRedisUrl, testSecrets, type TestHoldpoint } from './support/holdpoint.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined)
})

function deployment(): Record<string, string> {
  const prefix = randomPrefix()
  cleanup.push(() => deleteKeys(testRedisUrl(), prefix))
  return { HOLDPOINT_KEY_PREFIX: prefix, ...testSecrets() }
}

async function holdpoint(opts: Parameters<typeof startHoldpoint>[0]): Promise<TestHoldpoint> {
  const hp = await startHoldpoint(opts)
  cleanup.push(() => hp.close())
  return hp
}

const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })

async function firstOpenCheckpoint(hp: TestHoldpoint): Promise<string> {
  return eventually(async () => (await hp.api('GET', '/v1/checkpoints?limit=1')).body.items[0]?.id as string | undefined)
}

describe('SDK against a running Holdpoint', () => {
  it('awaitHuman returns the typed answer, woken through Redis when another server process took the answer', async () => {
    const env = deployment()
    const a = await holdpoint({ env, worker: true })
    const b = await holdpoint({ env, worker: false })
    const decision = awaitHuman({
      url: a.url,
      token: a.token,
      task: 'Approve $250 refund?',
      payload: { amountUsd: 250, customerId: 'cus_42' },
      payloadSchema: z.object({ amountUsd: z.number(), customerId: z.string() }),
      responseSchema: Decision,
      timeout: '15m',
    })
    const id = await firstOpenCheckpoint(a)
    const created = (await b.api('GET', `/v1/checkpoints/${id}`)).body
    expect(created.responseSchema).toMatchObject({ type: 'object', required: ['approved'] })
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(15 * 60 * 1000)
    const started = Date.now()
    expect((await b.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: 'ok' }, actor: 'ana' })).status).toBe(200)
    const value = await decision
    expect(value).toEqual({ approved: true, note: 'ok' })
    expectTypeOf(value).toEqualTypeOf<{ approved: boolean; note?: string | undefined }>()
    // woken by pub/sub, not by the 25 s long-poll expiring
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('keeps waiting across a server restart and returns once answered', async () => {
    const env = deployment()
    const port = await freePort()
    const first = await startHoldpoint({ env, port })
    const decision = awaitHuman({ url: first.url, token: first.token, task: 'Survive a restart?', responseSchema: Decision, waitSeconds: 2 })
    const id = await firstOpenCheckpoint(first)
    await first.close()
    await new Promise((r) => setTimeout(r, 1_000))
    const second = await holdpoint({ env, port })
    await second.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: false }, actor: 'ana' })
    await expect(decision).resolves.toEqual({ approved: false })
  })

  it('throws typed errors for a cancelled and an expired checkpoint', async () => {
    const hp = await holdpoint({})
    const cancelled = awaitHuman({ url: hp.url, token: hp.token, task: 'Will be cancelled', responseSchema: Decision }).catch((e: unknown) => e)
    const id = await firstOpenCheckpoint(hp)
    await hp.api('POST', `/v1/checkpoints/${id}/cancel`, {})
    const error = await cancelled
    expect(error).toBeInstanceOf(CheckpointCancelledError)
    expect(error).toMatchObject({ code: 'checkpoint_cancelled', checkpointId: id })

    const expired = await awaitHuman({ url: hp.url, token: hp.token, task: 'Nobody answers', responseSchema: Decision, timeout: '1s' }).catch((e: unknown) => e)
    expect(expired).toBeInstanceOf(CheckpointTimeoutError)
    expect(expired).toMatchObject({ code: 'checkpoint_timeout' })
  })

  it('createCheckpoint returns at once; waitForCheckpoint picks the durable flow up later', async () => {
    const hp = await holdpoint({})
    const cp = await createCheckpoint({ url: hp.url, token: hp.token, task: 'Durable', responseSchema: Decision, metadata: { runId: 'r1' } })
    expect(cp.state).toBe('delivered')
    await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true }, actor: 'ana' })
    const result = await waitForCheckpoint(cp.id, { url: hp.url, token: hp.token, responseSchema: Decision })
    expect(result.response).toEqual({ approved: true })
    expect(result.respondedBy).toMatchObject({ channel: 'api', actor: 'ana' })
  })

  it('runs the refund example end to end', async () => {
    const hp = await holdpoint({})
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/refund-agent.ts'], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      env: { ...process.env, HOLDPOINT_URL: hp.url, HOLDPOINT_API_TOKEN: hp.token },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    const exited = new Promise<number | null>((r) => child.once('exit', r))
    cleanup.push(async () => void child.kill('SIGKILL'))
    const id = await firstOpenCheckpoint(hp)
    await eventually(async () => out.includes(`/checkpoints/${id}`), 15_000)
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: 'duplicate charge confirmed' }, actor: 'ana', name: 'Ana' })
    expect(await exited).toBe(0)
    expect(out).toMatch(/approved/i)
    expect(out).toContain('duplicate charge confirmed')
  }, 30_000)
})
