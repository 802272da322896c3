import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../test/support/holdpoint.js'

let hp: TestHoldpoint

beforeAll(async () => {
  hp = await startHoldpoint({ plugins: [] })
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

async function create(): Promise<string> {
  const res = await hp.api('POST', '/v1/checkpoints', { task: 'Refund?', responseSchema: approvalSchema })
  expect(res.status).toBe(201)
  return res.body.id as string
}

const ana = { channel: 'api', actor: 'ana' } as const

describe('Engine.answer: the one path that records an answer', () => {
  it('refuses an answer that breaks the schema whoever calls, records nothing and audits the problems', async () => {
    const id = await create()
    const before = await hp.runtime.engine.get(id)
    const outcome = await hp.runtime.engine.answer({ id, by: ana, response: { approved: 'yes please' }, via: 'test' })
    expect(outcome.status).toBe('invalid')
    if (outcome.status !== 'invalid') return
    expect(outcome.problems).toEqual([{ path: '/approved', message: 'must be boolean' }])
    const after = await hp.runtime.engine.get(id)
    expect(after?.version).toBe(before?.version)
    expect(after?.persisted.context.response).toBeNull()
    const audit = await hp.api('GET', `/v1/checkpoints/${id}/audit`)
    const refused = audit.body.entries.filter((e: { kind: string }) => e.kind === 'refused')
    expect(refused).toHaveLength(1)
    expect(refused[0].data).toEqual({ attempted: 'answered', reason: 'invalid_response', via: 'test', problems: [{ path: '/response/approved', message: 'must be boolean' }] })
  })

  it('records a valid answer once; a second is "finished", an unknown id "not_found"', async () => {
    const id = await create()
    const first = await hp.runtime.engine.answer({ id, by: ana, response: { approved: true }, via: 'test' })
    expect(first.status).toBe('recorded')
    const second = await hp.runtime.engine.answer({ id, by: ana, response: { approved: false }, via: 'test' })
    expect(second.status).toBe('finished')
    expect((await hp.runtime.engine.answer({ id: 'cp_00000000000000000000000000', by: ana, response: {}, via: 'test' })).status).toBe('not_found')
  })

  it('refuses someone the checkpoint is not assigned to, with the reason', async () => {
    const res = await hp.api('POST', '/v1/checkpoints', { task: 'Refund?', responseSchema: approvalSchema, assignTo: ['dashboard'] })
    const outcome = await hp.runtime.engine.answer({ id: res.body.id, by: { channel: 'dashboard', actor: 'eve', identities: ['user:eve'] }, response: { approved: true }, via: 'test' })
    expect(outcome.status === 'refused' && outcome.refusal.code).toBe('not_assigned')
  })

  it('will not let send() record an answer behind the service’s back', async () => {
    const id = await create()
    await expect(hp.runtime.engine.send(id, (now) => ({ type: 'checkpoint.answer', now, by: ana, response: { approved: 'x' } }))).rejects.toThrow(/Engine.answer/)
  })
})
