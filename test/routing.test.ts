import { writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { approvalSchema, deleteKeys, eventually, randomPrefix, startHoldpoint, testRedisUrl, testSecrets, type TestHoldpoint } from './support/holdpoint.js'
import { recordingChannel } from './support/recording-channel.js'
import { WebhookReceiver } from './support/webhook-receiver.js'

const cleanup: Array<() => Promise<void>> = []
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!().catch(() => undefined)
})

function deployment(): Record<string, string> {
  const prefix = randomPrefix()
  cleanup.push(() => deleteKeys(testRedisUrl(), prefix))
  return { HOLDPOINT_KEY_PREFIX: prefix, ...testSecrets() }
}

async function holdpoint(opts: Parameters<typeof startHoldpoint>[0] = {}): Promise<TestHoldpoint> {
  const hp = await startHoldpoint({ env: deployment(), ...opts })
  cleanup.push(() => hp.close())
  return hp
}

async function receiver() {
  const r = await new WebhookReceiver().start()
  cleanup.push(() => r.close())
  return r
}

const audit = async (hp: TestHoldpoint, id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data?: any; at: string }>

describe('escalation ladder and reminders', () => {
  it('walks three tiers on time, reminds the current tier, and hands who-may-answer to the new tier', async () => {
    const email = recordingChannel('email')
    const hp = await holdpoint({ channels: [email] })
    const created = await hp.api('POST', '/v1/checkpoints', {
      task: 'Approve the wire?',
      responseSchema: approvalSchema,
      notify: ['email:analyst@example.com'],
      escalation: [
        { afterSeconds: 1, notify: ['email:lead@example.com'], assignTo: ['email:lead@example.com'] },
        { afterSeconds: 1, notify: ['email:cfo@example.com'], assignTo: ['email:cfo@example.com'] },
      ],
      reminders: { everySeconds: 1, max: 2 },
      timeoutSeconds: 60,
    })
    expect(created.status).toBe(201)
    const id = created.body.id as string
    await eventually(async () => email.calls.some((c) => c.kind === 'deliver' && c.recipient === 'email:cfo@example.com'), 10_000)
    const delivered = email.calls.filter((c) => c.kind === 'deliver').map((c) => c.recipient)
    expect(delivered).toEqual(['email:analyst@example.com', 'email:lead@example.com', 'email:cfo@example.com'])
    const t0 = Date.parse(created.body.createdAt)
    const at = (r: string) => email.calls.find((c) => c.kind === 'deliver' && c.recipient === r)!.at - t0
    expect(at('email:lead@example.com')).toBeGreaterThanOrEqual(1000)
    expect(at('email:cfo@example.com')).toBeGreaterThanOrEqual(2000)
    await eventually(async () => email.calls.filter((c) => c.kind === 'remind').length === 2, 10_000)
    const entries = await audit(hp, id)
    const escalations = entries.filter((e) => e.kind === 'escalated')
    expect(escalations.map((e) => e.data.tier)).toEqual([1, 2])
    expect(escalations[1]!.data.assignTo).toEqual(['email:cfo@example.com'])
    expect(entries.filter((e) => e.kind === 'reminded')).toHaveLength(2)
    const got = (await hp.api('GET', `/v1/checkpoints/${id}`)).body
    expect(got).toMatchObject({ tier: 2, assignTo: ['email:cfo@example.com'] })
    // no more reminders than `max`
    await new Promise((r) => setTimeout(r, 1_500))
    expect(email.calls.filter((c) => c.kind === 'remind')).toHaveLength(2)
  })

  it('continues the ladder on time after every process stopped between two tiers', async () => {
    const env = deployment()
    const first = await startHoldpoint({ env, channels: [recordingChannel('email')] })
    const created = await first.api('POST', '/v1/checkpoints', {
      task: 'Restart me',
      responseSchema: approvalSchema,
      notify: ['email:analyst@example.com'],
      escalation: [{ afterSeconds: 2, notify: ['email:lead@example.com'] }],
    })
    await new Promise((r) => setTimeout(r, 300))
    await first.close()
    await new Promise((r) => setTimeout(r, 1_000))
    const email = recordingChannel('email')
    const second = await startHoldpoint({ env, channels: [email] })
    cleanup.push(() => second.close())
    await eventually(async () => email.calls.some((c) => c.recipient === 'email:lead@example.com'), 10_000)
    const lateness = email.calls.find((c) => c.recipient === 'email:lead@example.com')!.at - (Date.parse(created.body.createdAt) + 2_000)
    expect(lateness).toBeGreaterThanOrEqual(0)
    expect(lateness).toBeLessThan(3_000)
  })

  it('stops escalating and reminding once answered', async () => {
    const email = recordingChannel('email')
    const hp = await holdpoint({ channels: [email] })
    const { body } = await hp.api('POST', '/v1/checkpoints', {
      task: 'Answer quickly',
      responseSchema: approvalSchema,
      notify: ['email:analyst@example.com'],
      escalation: [{ afterSeconds: 1, notify: ['email:lead@example.com'] }],
      reminders: { everySeconds: 1, max: 5 },
    })
    await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: true }, actor: 'analyst@example.com' })
    await new Promise((r) => setTimeout(r, 2_000))
    expect(email.calls.filter((c) => c.kind !== 'update').map((c) => c.recipient)).toEqual(['email:analyst@example.com'])
  })
})

describe('operators: extend and reassign', () => {
  it('extends the deadline (the old timer is ignored) and reassigns to new people, who are notified', async () => {
    const email = recordingChannel('email')
    const hp = await holdpoint({ channels: [email] })
    const { body } = await hp.api('POST', '/v1/checkpoints', { task: 'Extend me', responseSchema: approvalSchema, timeoutSeconds: 1, notify: ['email:a@example.com'] })
    const extended = await hp.api('POST', `/v1/checkpoints/${body.id}/extend`, { timeoutSeconds: 60 })
    expect(extended.status).toBe(200)
    expect(Date.parse(extended.body.expiresAt)).toBeGreaterThan(Date.now() + 50_000)
    await new Promise((r) => setTimeout(r, 1_500))
    expect((await hp.api('GET', `/v1/checkpoints/${body.id}`)).body.state).not.toBe('expired')

    const reassigned = await hp.api('POST', `/v1/checkpoints/${body.id}/reassign`, { assignTo: ['email:b@example.com'], notify: ['email:b@example.com'] })
    expect(reassigned.status).toBe(200)
    expect(reassigned.body.assignTo).toEqual(['email:b@example.com'])
    await eventually(async () => email.calls.some((c) => c.kind === 'deliver' && c.recipient === 'email:b@example.com'))
    const kinds = (await audit(hp, body.id)).map((e) => e.kind)
    expect(kinds).toEqual(expect.arrayContaining(['extended', 'reassigned']))
    expect((await hp.api('POST', `/v1/checkpoints/${body.id}/extend`, { timeoutSeconds: 5, expiresAt: new Date().toISOString() })).status).toBe(422)
    expect((await hp.api('POST', `/v1/checkpoints/${body.id}/reassign`, { assignTo: ['pager:1'] })).status).toBe(422)
  })
})

describe('quorum', () => {
  it('needs N distinct people, counts a person once, and carries every answer in the webhook', async () => {
    const r = await receiver()
    const hp = await holdpoint()
    const { body } = await hp.api('POST', '/v1/checkpoints', { task: 'Two approvals', responseSchema: approvalSchema, quorum: { approvals: 2 }, resume: { webhook: { url: r.url } } })
    const ana = await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: true, note: 'fine' }, actor: 'ana' })
    expect(ana.status).toBe(200)
    expect(ana.body.state).toBe('delivered')
    expect(ana.body.answers).toHaveLength(1)
    const again = await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: true }, actor: 'ana' })
    expect(again.status).toBe(409)
    expect(again.body.reason).toBe('duplicate_answer')
    const bob = await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: true }, actor: 'bob' })
    expect(bob.body).toMatchObject({ state: 'resolved', outcome: 'approved' })
    const hook = JSON.parse((await eventually(async () => r.received[0])).body)
    expect(hook.data.outcome).toBe('approved')
    expect(hook.data.answers.map((a: any) => a.respondedBy.actor)).toEqual(['ana', 'bob'])
  })

  it('resolves early as rejected on a veto', async () => {
    const hp = await holdpoint()
    const { body } = await hp.api('POST', '/v1/checkpoints', { task: 'Three approvals, one veto', responseSchema: approvalSchema, quorum: { approvals: 3, rejectOn: 1 } })
    await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: true }, actor: 'ana' })
    const veto = await hp.api('POST', `/v1/checkpoints/${body.id}/response`, { response: { approved: false, note: 'no' }, actor: 'bob' })
    expect(veto.body).toMatchObject({ state: 'resolved', outcome: 'rejected', response: { approved: false, note: 'no' }, respondedBy: { actor: 'bob' } })
  })

  it('refuses rejectOn without a boolean approved field', async () => {
    const hp = await holdpoint()
    const res = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: { type: 'object', properties: { choice: { enum: ['a', 'b'] } } }, quorum: { approvals: 2, rejectOn: 1 } })
    expect(res.status).toBe(422)
    expect(res.body.errors[0].path).toBe('/quorum/rejectOn')
  })
})

describe('groups', () => {
  it('reaches every member of a group named in notify, from the people file', async () => {
    const file = join(tmpdir(), `people-${Date.now()}.json`)
    await writeFile(
      file,
      JSON.stringify([
        { id: 'ana', name: 'Ana', email: 'ana@example.com', groups: ['finance'] },
        { id: 'raj', name: 'Raj', email: 'raj@example.com', groups: ['finance', 'oncall'] },
        { id: 'zoe', name: 'Zoe', email: 'zoe@example.com', groups: ['oncall'] },
      ]),
    )
    const email = recordingChannel('email')
    const hp = await holdpoint({ channels: [email], env: { ...deployment(), HOLDPOINT_PEOPLE_FILE: file } })
    const res = await hp.api('POST', '/v1/checkpoints', { task: 'Finance, please', responseSchema: approvalSchema, notify: ['group:finance'] })
    expect(res.status).toBe(201)
    await eventually(async () => email.calls.filter((c) => c.kind === 'deliver').length === 2)
    expect(email.calls.map((c) => c.recipient).sort()).toEqual(['email:ana@example.com', 'email:raj@example.com'])
  })

  it('picks the least recently assigned member when asked, rotating through the group', async () => {
    const file = join(tmpdir(), `people-pick-${Date.now()}.json`)
    await writeFile(
      file,
      JSON.stringify([
        { id: 'ana', name: 'Ana', email: 'ana@example.com', groups: ['oncall'] },
        { id: 'raj', name: 'Raj', email: 'raj@example.com', groups: ['oncall'] },
      ]),
    )
    const email = recordingChannel('email')
    const hp = await holdpoint({ channels: [email], env: { ...deployment(), HOLDPOINT_PEOPLE_FILE: file } })
    const picked: string[] = []
    for (let i = 0; i < 3; i++) {
      const res = await hp.api('POST', '/v1/checkpoints', { task: `Page ${i}`, responseSchema: approvalSchema, notify: ['group:oncall'], assignTo: ['group:oncall'], pick: 'least-recently-assigned' })
      expect(res.status).toBe(201)
      picked.push(res.body.assignTo[0])
      expect(res.body.notify).toEqual([`email:${res.body.assignTo[0].slice('user:'.length)}@example.com`])
    }
    expect(picked).toEqual(['user:ana', 'user:raj', 'user:ana'])
    await eventually(async () => email.calls.filter((c) => c.kind === 'deliver').length === 3)
    expect(email.calls.map((c) => c.recipient)).toEqual(['email:ana@example.com', 'email:raj@example.com', 'email:ana@example.com'])
    const empty = await hp.api('POST', '/v1/checkpoints', { task: 'Nobody', responseSchema: approvalSchema, assignTo: ['group:nobody'], pick: 'least-recently-assigned' })
    expect(empty.status).toBe(422)
    expect(empty.body.errors[0].path).toBe('/pick')
  })
})
