import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DEFAULT_URL, resolveConfig } from './config.js'
import { HoldpointConfigError } from './errors.js'

const VARIABLES = ['HOLDPOINT_URL', 'HOLDPOINT_API_TOKEN', 'HOLDPOINT_DEV_FILE'] as const
let saved: Partial<Record<(typeof VARIABLES)[number], string>>
let dir: string
let devFile: string

beforeEach(async () => {
  saved = {}
  for (const name of VARIABLES) {
    saved[name] = process.env[name]
    delete process.env[name]
  }
  dir = await mkdtemp(join(tmpdir(), 'holdpoint-sdk-config-'))
  devFile = join(dir, 'dev.json')
  process.env.HOLDPOINT_DEV_FILE = devFile
})

afterEach(async () => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name]
    else process.env[name] = saved[name]
  }
  await rm(dir, { recursive: true, force: true })
})

async function writeDevFile(content: unknown): Promise<void> {
  await writeFile(devFile, typeof content === 'string' ? content : JSON.stringify(content))
}

describe('resolveConfig', () => {
  it('falls back to the dev file', async () => {
    await writeDevFile({ url: 'http://127.0.0.1:9001/', apiToken: 'tok_file', webhookSecret: 'whsec_x' })
    await expect(resolveConfig()).resolves.toEqual({ url: 'http://127.0.0.1:9001', token: 'tok_file' })
  })

  it('prefers the environment over the dev file', async () => {
    await writeDevFile({ url: 'http://127.0.0.1:9001', apiToken: 'tok_file' })
    process.env.HOLDPOINT_URL = 'http://127.0.0.1:9002'
    process.env.HOLDPOINT_API_TOKEN = 'tok_env'
    await expect(resolveConfig()).resolves.toEqual({ url: 'http://127.0.0.1:9002', token: 'tok_env' })
  })

  it('prefers explicit arguments over the environment', async () => {
    await writeDevFile({ url: 'http://127.0.0.1:9001', apiToken: 'tok_file' })
    process.env.HOLDPOINT_URL = 'http://127.0.0.1:9002'
    process.env.HOLDPOINT_API_TOKEN = 'tok_env'
    await expect(resolveConfig({ url: 'http://127.0.0.1:9003', token: 'tok_arg' })).resolves.toEqual({
      url: 'http://127.0.0.1:9003',
      token: 'tok_arg',
    })
  })

  it('resolves each field from the first source that has it', async () => {
    await writeDevFile({ url: 'http://127.0.0.1:9001', apiToken: 'tok_file' })
    process.env.HOLDPOINT_URL = 'http://127.0.0.1:9002'
    await expect(resolveConfig({ token: 'tok_arg' })).resolves.toEqual({ url: 'http://127.0.0.1:9002', token: 'tok_arg' })
    delete process.env.HOLDPOINT_URL
    await expect(resolveConfig({ token: 'tok_arg' })).resolves.toEqual({ url: 'http://127.0.0.1:9001', token: 'tok_arg' })
  })

  it('defaults the URL when no source names one', async () => {
    process.env.HOLDPOINT_API_TOKEN = 'tok_env'
    await expect(resolveConfig()).resolves.toEqual({ url: DEFAULT_URL, token: 'tok_env' })
  })

  it('names all three sources when no token is found', async () => {
    const error = await resolveConfig().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(HoldpointConfigError)
    expect((error as HoldpointConfigError).code).toBe('configuration_error')
    expect((error as Error).message).toMatch(/`token`/)
    expect((error as Error).message).toMatch(/HOLDPOINT_API_TOKEN/)
    expect((error as Error).message).toContain(devFile)
  })

  it('reports a malformed dev file instead of ignoring it', async () => {
    await writeDevFile('{ not json')
    await expect(resolveConfig()).rejects.toThrow(/not valid JSON/)
    await writeDevFile({ apiToken: 42 })
    await expect(resolveConfig()).rejects.toThrow(/"apiToken" must be a string/)
  })

  it('refuses an invalid URL', async () => {
    await expect(resolveConfig({ url: 'not a url', token: 't' })).rejects.toThrow(HoldpointConfigError)
  })
})
