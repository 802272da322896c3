import { createHash } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ArchiveWriter } from '../../engine/archive/archive-dir.js'
import { openLine, verifyLine, type ArchiveLine } from '../../engine/archive/archive-line.js'
import { RetentionStore } from '../../engine/archive/retention-store.js'
import { FieldCipher } from '../../engine/field-cipher.js'
import { Keyring, parseSecretKeys } from '../../engine/keyring.js'
import { Keys } from '../../engine/keys.js'
import { schemaHash, type StoredRequest } from '../../engine/stored-request.js'
import { createLogger } from '../../ops/logger.js'
import { Archiver } from '../../queues/archiver.js'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { startSmtpSink, type SmtpSink } from '../support/smtp-sink.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import fixture from './legacy-records.json' with { type: 'json' }

/**
 * Checkpoints written by the code of before the one-string record (a hash per checkpoint,
 * test/upgrade/legacy-records.json) keep working after the upgrade: they load, take an
 * answer (which rewrites them in the new layout), resume their agent, and are archived and
 * removed like any other, their schema with them.
 */
type Legacy = typeof fixture.pending

let hp: TestHoldpoint
let sink: SmtpSink
let receiver: WebhookReceiver
let keys: Keys
let dir: string
const keyring = new Keyring(parseSecretKeys(fixture.secretKeys))
const cipher = new FieldCipher(keyring)

beforeAll(async () => {
  sink = await startSmtpSink()
  receiver = await new WebhookReceiver().start()
  dir = await mkdtemp(join(tmpdir(), 'holdpoint-upgrade-'))
  // The archiver is driven by the test (below), with the fixture's secret key.
  hp = await startHoldpoint({
    env: { HOLDPOINT_SECRET_KEYS: fixture.secretKeys, SMTP_URL: sink.url, HOLDPOINT_EMAIL_FROM: 'Holdpoint <holdpoint@example.test>', HOLDPOINT_ARCHIVE: 'off' },
  })
  keys = new Keys(hp.prefix)
})
afterAll(async () => {
  await hp.close()
  await sink.close()
  await receiver.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
  await rm(dir, { recursive: true, force: true })
})

/** Writes a fixture checkpoint as the old code left it, under this test's prefix. */
async function plant(record: Legacy, req: (r: StoredRequest) => StoredRequest): Promise<StoredRequest> {
  const request = req(JSON.parse(record.hash.req) as StoredRequest)
  const { id } = record
  await hp.redis.hset(keys.checkpoint(id), { ...record.hash, req: JSON.stringify(request) })
  await hp.redis.rpush(keys.audit(id), ...record.audit)
  await hp.redis.zadd(keys.index(0), 0, id)
  await hp.redis.zadd(keys.stateIndex(record.hash.state, 0), 0, id)
  return request
}

const audit = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body as { chain: { intact: boolean }; entries: Array<{ kind: string; seq: number; prev: string; shownHash?: string }> }

const { pending, finished } = fixture
const schemaKey = (id: string, schema: unknown) => keys.schema(id, schemaHash(JSON.stringify(schema)))

describe('a checkpoint in the hash layout of before', () => {
  let request: StoredRequest

  it('loads as it was, takes an answer that rewrites it as one string, and resumes its agent', async () => {
    request = await plant(pending, (r) => ({ ...r, resume: { webhook: { url: receiver.url } } }))
    const got = await hp.api('GET', `/v1/checkpoints/${pending.id}`)
    expect(got.status).toBe(200)
    expect(got.body).toMatchObject({
      state: 'delivered',
      deliveredTo: ['dashboard', 'email:ana@example.com'],
      payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge' },
      responseSchema: request.responseSchema,
      version: 3,
    })
    expect((await hp.runtime.engine.get(pending.id))?.request.requestHash).toBe(request.requestHash)
    expect((await audit(pending.id)).chain.intact).toBe(true)

    const answered = await hp.api('POST', `/v1/checkpoints/${pending.id}/response`, { response: { approved: true, note: 'after the upgrade' }, actor: 'ana' })
    expect(answered.status).toBe(200)
    expect(answered.body).toMatchObject({ state: 'resolved', version: 4, response: { approved: true, note: 'after the upgrade' } })
    expect(await hp.redis.type(keys.checkpoint(pending.id))).toBe('string')
    expect(await hp.redis.get(`${schemaKey(pending.id, request.responseSchema)}:refs`)).toBe('1')

    const hook = await eventually(async () => receiver.received.find((h) => h.body.includes(pending.id)))
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'checkpoint.resolved', data: { checkpointId: pending.id, response: { approved: true, note: 'after the upgrade' } } })
    await eventually(async () => sink.messages.find((m) => m.messageId?.includes(pending.id) && m.messageId.includes('.outcome@')))
    const after = await eventually(async () => {
      const a = await audit(pending.id)
      return a.entries.some((e) => e.kind === 'resumed') && a
    })
    expect(after.chain.intact).toBe(true)
    const entry = after.entries.find((e) => e.kind === 'answered')
    expect(entry).toMatchObject({ seq: 3, prev: pending.hash.head, shownHash: request.requestHash })
    expect((await hp.api('GET', `/v1/checkpoints/${pending.id}`)).body).toMatchObject({ state: 'resolved', deliveredTo: ['dashboard', 'email:ana@example.com'], version: 4 })
  })

  it('is archived and removed whether a commit rewrote it or not, and its schema goes with the last record naming it', { timeout: 60_000 }, async () => {
    // Finished before the upgrade and never touched since: still the hash. No resume target,
    // so nothing is left to settle before archiving.
    await plant(finished, ({ resume: _resume, ...r }) => r)
    await hp.redis.zadd(keys.finished(0), Number(finished.hash.upd), finished.id)
    const idemKey = keys.idempotency(fixture.finishedIdempotency.scope, createHash('sha256').update(fixture.finishedIdempotency.key).digest('base64url'))
    await hp.redis.set(idemKey, JSON.stringify({ id: finished.id, fingerprint: 'from-before' }))
    await new Promise((r) => setTimeout(r, 1_100))

    const archiver = new Archiver({
      store: new RetentionStore(hp.redis, hp.prefix),
      writer: new ArchiveWriter(dir),
      queues: hp.runtime.queues,
      logger: createLogger('silent'),
      publicUrl: hp.url,
      retentionMs: 1_000,
      everyMs: 1_000,
    })
    expect(await archiver.tick()).toBe(2)
    await archiver.release()

    for (const id of [pending.id, finished.id]) expect((await hp.api('GET', `/v1/checkpoints/${id}`)).status).toBe(410)
    expect(await hp.redis.exists(keys.checkpoint(pending.id), keys.audit(pending.id), keys.checkpoint(finished.id), keys.audit(finished.id), idemKey)).toBe(0)
    const schema = schemaKey(pending.id, JSON.parse(pending.hash.req).responseSchema)
    expect(await hp.redis.exists(schema, `${schema}:refs`)).toBe(0)

    const names = (await readdir(dir)).filter((n) => n.endsWith('.jsonl.gz'))
    const lines = (await Promise.all(names.map(async (n) => gunzipSync(await readFile(join(dir, n))).toString('utf8'))))
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ArchiveLine)
    const line = (id: string) => lines.find((l) => l.id === id)!
    // The untouched one is kept exactly as Redis held it.
    expect(line(finished.id).stored).toEqual({ ...finished.hash, req: line(finished.id).stored.req })
    for (const [id, state, payload] of [
      [finished.id, 'resolved', { amountUsd: 90, customerId: 'cus_7' }],
      [pending.id, 'resolved', { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge' }],
    ] as const) {
      expect(verifyLine(line(id), keyring, cipher)).toEqual({ intact: true })
      const opened = openLine(line(id), cipher)
      expect(opened.checkpoint).toMatchObject({ state, payload, responseSchema: JSON.parse(pending.hash.req).responseSchema, deliveredTo: ['dashboard', 'email:ana@example.com'] })
    }
    expect(openLine(line(pending.id), cipher).checkpoint.response).toEqual({ approved: true, note: 'after the upgrade' })
  })
})
