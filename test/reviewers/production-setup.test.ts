import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DashClient, PASSWORD } from '../dashboard/support.js'
import { freePort } from '../support/free-port.js'
import { deleteKeys, randomPrefix, startHoldpoint, testRedisUrl, testSecrets, type TestHoldpoint } from '../support/holdpoint.js'

const root = fileURLToPath(new URL('../../', import.meta.url))

// A production deployment's environment, shared by the CLI processes and the server.
let env: Record<string, string>
let dir: string
let hp: TestHoldpoint | null = null

beforeAll(async () => {
  const port = await freePort()
  env = {
    NODE_ENV: 'production',
    REDIS_URL: testRedisUrl(),
    HOLDPOINT_KEY_PREFIX: randomPrefix(),
    HOLDPOINT_PORT: String(port),
    HOLDPOINT_PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...testSecrets(),
  }
  dir = await mkdtemp(join(tmpdir(), 'holdpoint-setup-'))
  // Production needs somewhere to archive finished checkpoints (docs/retention.md).
  env.HOLDPOINT_ARCHIVE_DIR = join(dir, 'archive')
})
afterAll(async () => {
  await hp?.close()
  await deleteKeys(testRedisUrl(), env.HOLDPOINT_KEY_PREFIX!)
  await rm(dir, { recursive: true, force: true })
})

function holdpoint(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'ops/cli.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? '', HOLDPOINT_DEV_FILE: join(dir, 'none.json'), ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}

describe('production set-up without dev mode', () => {
  it('adds an operator and imports people from the CLI; the printed link sets a password on a production server', { timeout: 120_000 }, async () => {
    const bad = await holdpoint(['operator', 'add', '--email', 'not-an-email', '--name', 'Olga'])
    expect(bad.code, bad.stderr).toBe(64)

    const added = await holdpoint(['operator', 'add', '--email', 'Olga@Example.com', '--name', 'Olga Operator'])
    expect(added.code, added.stderr).toBe(0)
    const link = added.stdout.trim()
    expect(link).toMatch(new RegExp(`^${env.HOLDPOINT_PUBLIC_URL}/setup/[\\w-]+$`))

    const file = join(dir, 'people.json')
    await writeFile(file, JSON.stringify([{ id: 'ana', name: 'Ana', email: 'ana@example.com', groups: ['finance'] }, { id: 'bob', name: 'Bob', groups: ['finance'] }]))
    const imported = await holdpoint(['people', 'import', file])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.stdout).toContain('2 people imported')
    await writeFile(join(dir, 'bad.json'), JSON.stringify([{ id: 'Not Valid', name: '' }]))
    const invalid = await holdpoint(['people', 'import', join(dir, 'bad.json')])
    expect(invalid.code).toBe(1)
    expect(invalid.stderr).toContain('is invalid')

    hp = await startHoldpoint({ env, port: Number(env.HOLDPOINT_PORT) })
    expect(hp.config.production).toBe(true)
    const olga = new DashClient(hp.url)
    const token = link.split('/setup/')[1]!
    expect((await olga.req('GET', `/ui/api/setup/${token}`)).body).toMatchObject({ kind: 'person', person: { id: 'olga', role: 'operator' } })
    const setup = await olga.req('POST', '/ui/api/setup', { token, password: PASSWORD })
    expect(setup.status, setup.text).toBe(200)
    // One use only.
    expect((await new DashClient(hp.url).req('POST', '/ui/api/setup', { token, password: PASSWORD })).status).toBe(404)

    const again = new DashClient(hp.url)
    const login = await again.login('olga@example.com', PASSWORD)
    expect(login.status, login.text).toBe(200)
    expect(login.body).toMatchObject({ signedIn: true, person: { role: 'operator' } })
    const people = await again.req('GET', '/ui/api/people')
    expect(people.body.people.map((p: { id: string }) => p.id).sort()).toEqual(['ana', 'bob', 'olga'])
    expect(people.body.people.find((p: { id: string }) => p.id === 'ana').groups).toEqual(['finance'])
  })
})
