import fc from 'fast-check'
import { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { DashClient} from '../dashboard/support.js';
import { seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'
import { deleteKeys, eventually, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import {
  approval,
  badEscapes,
  contentType,
  countCheckpoints,
  expectAlive,
  expectNo5xx,
  expectPrototypeClean,
  fingerprint,
  hostileBody,
  hostileJson,
  hostileString,
  pct,
  runs,
  send,
  UNLIMITED,
} from './support.js'

/**
 * The dashboard's JSON API with a valid session and CSRF token, and the intake queue, under
 * hostile input. Never a 5xx, the server and workers stay up, a refused request or a failed
 * job changes no checkpoint, Object.prototype stays clean.
 */

let hp: TestHoldpoint
let operator: DashClient
let reviewer: DashClient

beforeAll(async () => {
  const started = await startDashboardHoldpoint({ env: UNLIMITED })
  hp = started.hp
  const seeded = await seedPeople(hp, started.setupToken, [{ name: 'Rita Reviewer', email: 'rita@example.com' }])
  operator = seeded.operator
  reviewer = seeded.clients['rita@example.com']!
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function fixture(): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval, assignTo: ['email:rita@example.com'] })
  expect(res.status).toBe(201)
  const id = res.body.id as string
  await eventually(async () => (await hp.runtime.engine.get(id))?.state === 'delivered')
  return id
}

describe('dashboard JSON API with a valid session and CSRF token', () => {
  const action = fc.constantFrom('claim', 'release', 'answer', 'extract')
  const body = fc.oneof(
    hostileBody,
    hostileJson.map((response) => JSON.stringify({ response })),
    fc.record({ reassignTo: hostileString }).map((b) => JSON.stringify(b)),
    fc.constant('{"response":{"approved":true,"__proto__":{"polluted":1}}}'),
    fc.constant('{"response":{"approved":true},"constructor":{"prototype":{"polluted":1}}}'),
  )

  it('checkpoint actions: never 5xx; a refusal leaves the checkpoint as it was', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(operator, reviewer), action, body, contentType, async (client, act, raw, type) => {
        const id = await fixture()
        const before = await fingerprint(hp, id)
        const res = await send(`${hp.url}/ui/api/checkpoints/${id}/${act}`, { method: 'POST', body: raw, contentType: type, headers: { cookie: client.cookie, 'x-csrf-token': client.csrf } })
        expectNo5xx(res, `dashboard ${act}`)
        if (res.status >= 400) {
          const after = await fingerprint(hp, id)
          expect({ ...after, auditLength: 0 }).toEqual({ ...before, auditLength: 0 })
          const added = (await hp.runtime.engine.store.readAudit(id)).slice(before.auditLength)
          expect(added.every((e) => e.kind === 'refused' || e.kind === 'viewed'), added.map((e) => e.kind).join(',')).toBe(true)
        }
        expectPrototypeClean()
      }),
      runs(60),
    )
    await expectAlive(hp)
  }, 60_000)

  it('people, audit, account and list routes: never 5xx on hostile bodies and query strings', async () => {
    const route = fc.constantFrom(
      ['POST', '/ui/api/people'],
      ['PUT', '/ui/api/people/'],
      ['DELETE', '/ui/api/people/'],
      ['POST', '/ui/api/people/x/invite'],
      ['POST', '/ui/api/password'],
      ['POST', '/ui/api/login'],
      ['POST', '/ui/api/setup'],
      ['GET', '/ui/api/audit?'],
      ['GET', '/ui/api/audit/export?'],
      ['GET', '/ui/api/checkpoints?'],
      ['GET', '/ui/api/checkpoints/'],
      ['GET', '/ui/api/people?'],
    )
    const tail = fc.oneof(hostileString.map(pct), badEscapes, fc.array(fc.tuple(fc.constantFrom('q', 'state', 'format', 'cursor', 'limit', 'assignee', 'from', 'to', '__proto__'), hostileString), { maxLength: 4 }).map((ps) => ps.map(([k, v]) => `${k}=${pct(v)}`).join('&')))
    await fc.assert(
      fc.asyncProperty(route, tail, body, contentType, async ([method, path], t, raw, type) => {
        const before = await countCheckpoints(hp)
        const res = await send(`${hp.url}${path}${path.endsWith('/') || path.endsWith('?') ? t : ''}`, {
          method,
          ...(method !== 'GET' && { body: raw, contentType: type }),
          headers: { cookie: operator.cookie, 'x-csrf-token': operator.csrf },
        })
        expectNo5xx(res, `${method} ${path}`)
        expect(await countCheckpoints(hp)).toBe(before)
        expectPrototypeClean()
      }),
      runs(80),
    )
    // the operator's session survived all of it
    expect((await operator.req('GET', '/ui/api/session')).status).toBe(200)
    await expectAlive(hp)
  }, 60_000)

  it('refuses a missing or wrong CSRF token with 403 and changes nothing', async () => {
    const id = await fixture()
    const before = await fingerprint(hp, id)
    for (const token of [undefined, 'anonymous', 'x', `${reviewer.csrf}x`]) {
      const res = await send(`${hp.url}/ui/api/checkpoints/${id}/answer`, {
        method: 'POST',
        body: JSON.stringify({ response: { approved: true } }),
        contentType: 'application/json',
        headers: { cookie: reviewer.cookie, ...(token !== undefined && { 'x-csrf-token': token }) },
      })
      expect(res.status).toBe(403)
    }
    expect(await fingerprint(hp, id)).toEqual(before)
  })
})

describe('intake queue', () => {
  it('fails hostile jobs without retries, creates nothing for them, and keeps working', async () => {
    const queue = new Queue('checkpoints', { connection: { url: testRedisUrl() }, prefix: hp.prefix })
    try {
      const data = fc.oneof(
        hostileJson,
        hostileJson.map((v) => ({ task: 'x', responseSchema: v })),
        hostileJson.map((v) => ({ task: 'x', responseSchema: approval, payload: v, metadata: v })),
        fc.constant(JSON.parse('{"task":"x","responseSchema":{"type":"object"},"__proto__":{"polluted":1}}') as unknown),
        fc.constant({ task: 'x', responseSchema: { $ref: '#' } }),
        fc.constant({ task: 'x', responseSchema: approval, resume: { webhook: { url: 'gopher://x/' } } }),
        fc.constant(JSON.parse(`{"task":"x","responseSchema":{"type":"object"},"payload":${'['.repeat(150)}${']'.repeat(150)}}`) as unknown),
      )
      await fc.assert(
        fc.asyncProperty(data, fc.option(hostileString.map((s) => s.replace(/:/g, '') || 'k')), async (job, jobId) => {
          const before = await countCheckpoints(hp)
          const added = await queue.add('create', job, jobId === null ? {} : { jobId: `h-${Buffer.from(jobId).toString('hex').slice(0, 100)}` })
          const outcome = await eventually(async () => ((await added.isFailed()) ? 'failed' : (await added.isCompleted()) ? 'completed' : null), 10_000)
          if (outcome === 'failed') {
            expect(await countCheckpoints(hp)).toBe(before)
            expect((await queue.getJob(added.id!))?.attemptsMade ?? 0).toBeLessThanOrEqual(1)
          }
          expectPrototypeClean()
        }),
        runs(40),
      )
      // Far past the depth limit (10k levels cannot even be added: BullMQ's producer overflows first)
      const deep = JSON.parse(`{"task":"x","responseSchema":{"type":"object"},"payload":${'['.repeat(2_000)}${']'.repeat(2_000)}}`) as unknown
      const deepJob = await queue.add('create', deep)
      expect(await eventually(async () => ((await deepJob.isFailed()) ? 'failed' : (await deepJob.isCompleted()) ? 'completed' : null))).toBe('failed')
      const ok = await queue.add('create', { task: 'still working?', responseSchema: approval })
      await eventually(async () => (await ok.isCompleted()) && true)
    } finally {
      await queue.close()
    }
  }, 60_000)
})
