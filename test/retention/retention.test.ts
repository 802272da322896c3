import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArchiveWriter } from '../../engine/archive/archive-dir.js'
import { RetentionStore } from '../../engine/archive/retention-store.js'
import { Keys } from '../../engine/keys.js'
import { schemaHash } from '../../engine/stored-request.js'
import { createLogger } from '../../ops/logger.js'
import { Archiver } from '../../queues/archiver.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'

const root = fileURLToPath(new URL('../../', import.meta.url))
const secret = `PLAINTEXT-${randomBytes(8).toString('hex')}`
let hp: TestHoldpoint
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'holdpoint-archive-'))
  hp = await startHoldpoint({
    plugins: [],
    env: { HOLDPOINT_RETENTION: '1s', HOLDPOINT_ARCHIVE_DIR: join(dir, 'archive') },
    verifiers: { never: () => Promise.resolve({ passed: false, reason: 'Policy says no.' }) },
  })
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
  await rm(dir, { recursive: true, force: true })
})

const request = (extra: Record<string, unknown> = {}) => ({
  task: 'Refund the duplicate charge?',
  notify: ['dashboard'],
  responseSchema: approvalSchema,
  payload: { secret },
  timeoutSeconds: 3600,
  ...extra,
})

async function create(extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', request(extra), headers)
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.id as string
}

async function keysNaming(redis: TestHoldpoint['redis'], prefix: string, id: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*${id}*`, 'COUNT', 1000)
    cursor = next
    found.push(...keys)
  } while (cursor !== '0')
  return found
}

function holdpoint(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'ops/cli.ts', ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', HOLDPOINT_DATA_DIR: dir, HOLDPOINT_ARCHIVE_DIR: join(dir, 'archive'), HOLDPOINT_SECRET_KEYS: hp.env.HOLDPOINT_SECRET_KEYS! },
        timeout: 120_000,
      },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    )
  })
}

async function archiveText(archiveDir: string): Promise<string> {
  const names = (await readdir(archiveDir)).filter((n) => n.endsWith('.jsonl.gz'))
  const texts = await Promise.all(names.map(async (n) => gunzipSync(await readFile(join(archiveDir, n))).toString('utf8')))
  return texts.join('')
}

describe('retention and the sealed archive', () => {
  const ids: Record<string, string> = {}
  let pending = ''

  it('archives finished checkpoints of every terminal state and leaves nothing naming them', { timeout: 240_000 }, async () => {
    pending = await create()
    ids.resolved = await create({}, { 'idempotency-key': `retention-${randomBytes(4).toString('hex')}` })
    ids.cancelled = await create()
    ids.expired = await create({ timeoutSeconds: 1 })
    ids.rejected = await create({ verify: { provider: 'function:never', instructions: 'Refuse everything.', maxAttempts: 1 } })
    expect((await hp.api('POST', `/v1/checkpoints/${ids.resolved}/response`, { response: { approved: true }, actor: 'ana@example.com' })).status).toBe(200)
    expect((await hp.api('POST', `/v1/checkpoints/${ids.cancelled}/cancel`, { reason: 'not needed' })).status).toBe(200)
    await hp.api('POST', `/v1/checkpoints/${ids.rejected}/response`, { response: { approved: true }, actor: 'ana@example.com' })

    for (const [state, id] of Object.entries(ids)) {
      await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).body?.state === state, 15_000)
    }
    // Retention 1 s, a pass every second: gone within a few seconds of finishing.
    for (const id of Object.values(ids)) {
      const gone = await eventually(async () => {
        const res = await hp.api('GET', `/v1/checkpoints/${id}`)
        return res.status === 410 ? res : null
      }, 15_000)
      expect(gone.headers.get('content-type')).toContain('application/problem+json')
      expect(gone.body).toMatchObject({ status: 410, title: 'Checkpoint archived' })
      expect(gone.body.archiveFile).toMatch(/^checkpoints-\d{4}-\d{2}-\d{2}-\d{4}\.jsonl\.gz$/)
      expect(gone.body.detail).toContain(gone.body.archiveFile)
      await eventually(async () => (await keysNaming(hp.redis, hp.prefix, id)).length === 0, 10_000).catch(async () => {
        throw new Error(`keys left for ${id}: ${(await keysNaming(hp.redis, hp.prefix, id)).join(', ')}`)
      })
    }
    const listed = await hp.api('GET', '/v1/checkpoints?limit=50')
    expect((listed.body.items as Array<{ id: string }>).map((c) => c.id)).toEqual([pending])
  })

  it('never touches an open checkpoint', async () => {
    const res = await hp.api('GET', `/v1/checkpoints/${pending}`)
    expect(res.status).toBe(200)
    // Open: `pending` until the dashboard channel records the delivery.
    expect(['pending', 'delivered']).toContain(res.body.state)
  })

  it('keeps payloads sealed in the archive; archive read opens them with the keys', { timeout: 240_000 }, async () => {
    const text = await archiveText(join(dir, 'archive'))
    for (const id of Object.values(ids)) expect(text).toContain(id)
    expect(text).not.toContain(secret)
    expect(text).toContain('$sealed')

    const file = (await hp.api('GET', `/v1/checkpoints/${ids.resolved}`)).body.archiveFile as string
    const read = await holdpoint(['archive', 'read', file, '--id', ids.resolved!])
    expect(read.code, read.stderr).toBe(0)
    const opened = JSON.parse(read.stdout) as { id: string; checkpoint: { payload: unknown; response: unknown; state: string }; audit: Array<{ kind: string; data?: unknown }> }
    expect(opened).toMatchObject({ id: ids.resolved, checkpoint: { state: 'resolved', payload: { secret }, response: { approved: true } } })
    expect(opened.audit.find((e) => e.kind === 'answered')?.data).toMatchObject({ response: { approved: true } })

    const ls = await holdpoint(['archive', 'ls'])
    expect(ls.code, ls.stderr).toBe(0)
    expect(ls.stdout).toContain(file)
  })

  it('archive verify passes, and fails naming the checkpoint whose audit was altered', { timeout: 240_000 }, async () => {
    const ok = await holdpoint(['archive', 'verify'])
    expect(ok.code, ok.stdout + ok.stderr).toBe(0)
    expect(ok.stderr).toContain('every audit chain verifies')

    const file = (await hp.api('GET', `/v1/checkpoints/${ids.cancelled}`)).body.archiveFile as string
    const lines = gunzipSync(await readFile(join(dir, 'archive', file))).toString('utf8').split('\n')
    const i = lines.findIndex((l) => l.includes(`"id":"${ids.cancelled}"`))
    expect(i).toBeGreaterThanOrEqual(0)
    const line = JSON.parse(lines[i]!) as { audit: Array<{ t: number }> }
    // A later time on the first audit entry, by one millisecond (stored as epoch ms).
    line.audit[0]!.t += 1
    lines[i] = JSON.stringify(line)
    const tampered = join(dir, 'tampered.jsonl.gz')
    await writeFile(tampered, gzipSync(lines.join('\n')))
    const bad = await holdpoint(['archive', 'verify', tampered])
    expect(bad.code).toBe(1)
    expect(bad.stdout).toContain(ids.cancelled)
    expect(bad.stdout).toContain('BROKEN')
  })
})

describe('shared schemas', () => {
  it('go with the last checkpoint naming them, so a schema per checkpoint leaves nothing behind', { timeout: 240_000 }, async () => {
    const schemaKeys = (schema: unknown) => {
      const key = new Keys(hp.prefix).schema('', schemaHash(JSON.stringify(schema)))
      return [key, `${key}:refs`]
    }
    const shared = { ...approvalSchema, title: `shared-${randomBytes(4).toString('hex')}` }
    const unique = [1, 2, 3].map((n) => ({ ...approvalSchema, title: `one-off-${n}-${randomBytes(4).toString('hex')}` }))
    const sharing = [await create({ responseSchema: shared }), await create({ responseSchema: shared })]
    const oneOff = await Promise.all(unique.map((schema) => create({ responseSchema: schema })))
    expect(await hp.redis.get(schemaKeys(shared)[1]!)).toBe('2')
    for (const schema of unique) expect(await hp.redis.get(schemaKeys(schema)[1]!)).toBe('1')

    // The first sharer goes alone: the schema stays for the second.
    expect((await hp.api('POST', `/v1/checkpoints/${sharing[0]}/cancel`, {})).status).toBe(200)
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${sharing[0]}`)).status === 410, 15_000)
    expect(await hp.redis.get(schemaKeys(shared)[1]!)).toBe('1')
    expect((await hp.api('GET', `/v1/checkpoints/${sharing[1]}`)).body.responseSchema).toEqual(shared)

    for (const id of [sharing[1]!, ...oneOff]) expect((await hp.api('POST', `/v1/checkpoints/${id}/cancel`, {})).status).toBe(200)
    for (const id of [sharing[1]!, ...oneOff]) await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${id}`)).status === 410, 15_000)
    for (const schema of [shared, ...unique]) expect(await hp.redis.exists(...schemaKeys(schema))).toBe(0)
  })
})

describe('a crash between the archive write and the Redis delete', () => {
  let hp2: TestHoldpoint
  let crashDir: string

  beforeAll(async () => {
    crashDir = await mkdtemp(join(tmpdir(), 'holdpoint-crash-'))
    // The runtime's own archiver is off; the test drives one with a failing hook.
    hp2 = await startHoldpoint({ plugins: [], env: { HOLDPOINT_RETENTION: '1s', HOLDPOINT_ARCHIVE: 'off' } })
  })
  afterAll(async () => {
    await hp2.close()
    await deleteKeys(testRedisUrl(), hp2.prefix)
    await rm(crashDir, { recursive: true, force: true })
  })

  it('archives the same line again on the next run and then deletes, losing nothing', { timeout: 240_000 }, async () => {
    const created = await hp2.api('POST', '/v1/checkpoints', request())
    const id = created.body.id as string
    expect((await hp2.api('POST', `/v1/checkpoints/${id}/cancel`, {})).status).toBe(200)
    await new Promise((r) => setTimeout(r, 1_200))

    let crashes = 1
    const archiver = new Archiver({
      store: new RetentionStore(hp2.redis, hp2.prefix),
      writer: new ArchiveWriter(crashDir),
      queues: hp2.runtime.queues,
      logger: createLogger('silent'),
      publicUrl: hp2.url,
      retentionMs: 1_000,
      everyMs: 1_000,
      afterWrite: () => {
        if (crashes-- > 0) throw new Error('simulated crash after the fsync, before the delete')
      },
    })
    await expect(archiver.tick()).rejects.toThrow('simulated crash')
    // Both in the archive and still in Redis.
    expect((await hp2.api('GET', `/v1/checkpoints/${id}`)).status).toBe(200)
    expect(await archiveText(crashDir)).toContain(id)

    expect(await archiver.tick()).toBe(1)
    expect((await hp2.api('GET', `/v1/checkpoints/${id}`)).status).toBe(410)
    expect(await keysNaming(hp2.redis, hp2.prefix, id)).toEqual([])
    const copies = (await archiveText(crashDir)).split('\n').filter((l) => l.includes(`"id":"${id}"`))
    expect(copies).toHaveLength(2)
    expect(copies[1]).toBe(copies[0])
    await archiver.release()
  })
})
