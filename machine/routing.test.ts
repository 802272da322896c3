import { describe, expect, it } from 'vitest'
import { advance, begin, refusalOf, type PersistedCheckpoint } from './index.js'
import type { Actor, CheckpointEvent, CheckpointInput } from './types.js'

// Time is injected through events: these tests move a clock by hand, never sleep.
const T0 = 1_700_000_000_000
const s = (seconds: number) => T0 + seconds * 1000

function start(overrides: Partial<CheckpointInput> = {}) {
  return begin({ id: 'cp_r', now: T0, notify: ['email:a@x.io'], assignTo: ['email:a@x.io'], timeoutAt: s(600), onTimeout: null, ...overrides })
}

function apply(p: PersistedCheckpoint, event: CheckpointEvent) {
  const step = advance(p, event)
  if (!step) throw new Error(`refused: ${JSON.stringify(refusalOf(p, event))}`)
  return step
}

const person = (actor: string, identities: string[], channel: Actor['channel'] = 'email'): Actor => ({ channel, actor, identities })
const a = person('a@x.io', ['email:a@x.io'])
const lead = person('lead@x.io', ['email:lead@x.io', 'group:leads'])

describe('escalation', () => {
  const ladder = { escalation: [{ afterSeconds: 60, notify: ['group:leads'], assignTo: ['group:leads'] }, { afterSeconds: 120, notify: ['email:cfo@x.io'] }] }

  it('schedules the first tier at creation and each next tier when the previous one starts', () => {
    const first = start(ladder)
    expect(first.effects).toContainEqual({ type: 'schedule', timer: 'checkpoint.escalate', at: s(60) })
    const tier1 = apply(first.persisted, { type: 'checkpoint.escalate', now: s(60), dueAt: s(60) })
    expect(tier1.persisted.context).toMatchObject({ tier: 1, assignTo: ['group:leads'], tierNotify: ['group:leads'] })
    expect(tier1.effects).toEqual(
      expect.arrayContaining([
        { type: 'deliver', recipients: ['group:leads'] },
        { type: 'schedule', timer: 'checkpoint.escalate', at: s(180) },
      ]),
    )
    // the new tier decides: the original assignee no longer may, a group member may
    expect(advance(tier1.persisted, { type: 'checkpoint.answer', now: s(61), by: a, response: {} })).toBeNull()
    expect(apply(tier1.persisted, { type: 'checkpoint.answer', now: s(61), by: lead, response: { ok: 1 } }).state).toBe('resolved')
    const tier2 = apply(tier1.persisted, { type: 'checkpoint.escalate', now: s(180), dueAt: s(180) })
    expect(tier2.persisted.context.tier).toBe(2)
    expect(tier2.persisted.context.nextEscalationAt).toBeNull()
    // a late duplicate firing of an old tier is ignored
    expect(advance(tier2.persisted, { type: 'checkpoint.escalate', now: s(181), dueAt: s(60) })).toBeNull()
  })

  it('releases a claim when the new tier names who may answer, and leaves it alone when the step says so', () => {
    const claimed = apply(start(ladder).persisted, { type: 'checkpoint.claim', now: s(10), by: a })
    const escalated = apply(claimed.persisted, { type: 'checkpoint.escalate', now: s(60), dueAt: s(60) })
    expect(escalated.state).toBe('delivered')
    expect(escalated.persisted.context.claimedBy).toBeNull()

    const patient = start({ escalation: [{ afterSeconds: 60, notify: ['email:lead@x.io'], skipIfClaimed: true }] })
    const held = apply(patient.persisted, { type: 'checkpoint.claim', now: s(10), by: a })
    const waited = apply(held.persisted, { type: 'checkpoint.escalate', now: s(60), dueAt: s(60) })
    expect(waited.state).toBe('claimed')
    expect(waited.persisted.context.tier).toBe(0)
    expect(waited.effects).toEqual([{ type: 'schedule', timer: 'checkpoint.escalate', at: s(120) }])
  })

  it('cancels pending escalation and reminder timers when it finishes', () => {
    const p = start({ ...ladder, reminders: { everySeconds: 30, max: 2 } }).persisted
    const done = apply(p, { type: 'checkpoint.cancel', now: s(5), by: { channel: 'api', actor: 'agent' } })
    expect(done.effects).toEqual(
      expect.arrayContaining([
        { type: 'cancelTimer', timer: 'checkpoint.timeout', at: s(600) },
        { type: 'cancelTimer', timer: 'checkpoint.escalate', at: s(60) },
        { type: 'cancelTimer', timer: 'checkpoint.remind', at: s(30) },
      ]),
    )
  })
})

describe('reminders', () => {
  it('reminds the current tier every interval, at most `max` times', () => {
    let p = start({ reminders: { everySeconds: 30, max: 2 } }).persisted
    const r1 = apply(p, { type: 'checkpoint.remind', now: s(30), dueAt: s(30) })
    expect(r1.effects).toEqual([{ type: 'remind', recipients: ['email:a@x.io'] }, { type: 'schedule', timer: 'checkpoint.remind', at: s(60) }])
    p = r1.persisted
    const r2 = apply(p, { type: 'checkpoint.remind', now: s(60), dueAt: s(60) })
    expect(r2.effects).toEqual([{ type: 'remind', recipients: ['email:a@x.io'] }])
    expect(r2.persisted.context.nextReminderAt).toBeNull()
  })
})

describe('deadline changes', () => {
  it('extends only into the future, and ignores the old deadline afterwards', () => {
    const p = start().persisted
    const op: Actor = { channel: 'api', actor: 'ops' }
    expect(advance(p, { type: 'checkpoint.extend', now: s(10), by: op, timeoutAt: s(5) })).toBeNull()
    const ext = apply(p, { type: 'checkpoint.extend', now: s(10), by: op, timeoutAt: s(1200) })
    expect(ext.effects).toEqual(
      expect.arrayContaining([
        { type: 'cancelTimer', timer: 'checkpoint.timeout', at: s(600) },
        { type: 'schedule', timer: 'checkpoint.timeout', at: s(1200) },
      ]),
    )
    expect(advance(ext.persisted, { type: 'checkpoint.timeout', now: s(600), dueAt: s(600) })).toBeNull()
    expect(apply(ext.persisted, { type: 'checkpoint.timeout', now: s(1200), dueAt: s(1200) }).state).toBe('expired')
  })
})

describe('quorum', () => {
  const rule = { quorum: { approvals: 2, rejectOn: 1, decisionField: 'approved' }, assignTo: ['group:board'] }
  const ana = person('ana@x.io', ['email:ana@x.io', 'user:ana', 'group:board'])
  const anaOnSlack = person('U0ANA', ['slack:U0ANA', 'user:ana', 'group:board'], 'slack')
  const raj = person('raj@x.io', ['email:raj@x.io', 'user:raj', 'group:board'])

  it('counts the same person once across channels', () => {
    const first = apply(start(rule).persisted, { type: 'checkpoint.answer', now: s(1), by: ana, response: { approved: true } })
    expect(first.state).toBe('delivered')
    const dup: CheckpointEvent = { type: 'checkpoint.answer', now: s(2), by: anaOnSlack, response: { approved: true } }
    expect(advance(first.persisted, dup)).toBeNull()
    expect(refusalOf(first.persisted, dup)).toEqual({ code: 'duplicate_answer' })
    const done = apply(first.persisted, { type: 'checkpoint.answer', now: s(3), by: raj, response: { approved: true } })
    expect(done.state).toBe('resolved')
    expect(done.persisted.context.outcome).toBe('approved')
  })

  it('resolves as rejected on the veto', () => {
    const veto = apply(start(rule).persisted, { type: 'checkpoint.answer', now: s(1), by: raj, response: { approved: false } })
    expect(veto.state).toBe('resolved')
    expect(veto.persisted.context.outcome).toBe('rejected')
  })

  it('takes the most common answer when the schema has no decision field', () => {
    const p = start({ quorum: { approvals: 3, rejectOn: null, decisionField: null }, assignTo: ['group:board'] }).persisted
    const sam = person('sam@x.io', ['user:sam', 'group:board'])
    const one = apply(p, { type: 'checkpoint.answer', now: s(1), by: ana, response: { pick: 'b' } })
    const two = apply(one.persisted, { type: 'checkpoint.answer', now: s(2), by: raj, response: { pick: 'a' } })
    const three = apply(two.persisted, { type: 'checkpoint.answer', now: s(3), by: sam, response: { pick: 'a' } })
    expect(three.persisted.context.response).toEqual({ pick: 'a' })
  })
})

describe('verification', () => {
  const verified = () => start({ verify: { maxAttempts: 2 } })

  it('holds an answer for its verdict, refusing other answers meanwhile, and resolves when it passes', () => {
    const held = apply(verified().persisted, { type: 'checkpoint.answer', now: s(1), by: a, response: { approved: true } })
    expect(held.state).toBe('verifying')
    expect(held.effects).toEqual([{ type: 'verify', attempt: 1 }])
    expect(refusalOf(held.persisted, { type: 'checkpoint.answer', now: s(2), by: a, response: {} })).toEqual({ code: 'verifying' })
    const passed = apply(held.persisted, { type: 'checkpoint.verdict', now: s(3), attempt: 1, passed: true, reason: 'ok', model: 'm' })
    expect(passed.state).toBe('resolved')
    expect(passed.persisted.context).toMatchObject({ response: { approved: true }, respondedBy: { actor: 'a@x.io' } })
  })

  it('returns a failed answer to its author with the reason, and ends rejected after maxAttempts', () => {
    const held = apply(verified().persisted, { type: 'checkpoint.answer', now: s(1), by: a, response: { approved: true } })
    const failed = apply(held.persisted, { type: 'checkpoint.verdict', now: s(2), attempt: 1, passed: false, reason: 'no reason given' })
    expect(failed.state).toBe('claimed')
    expect(failed.persisted.context).toMatchObject({ attempts: 1, lastVerdict: { passed: false, reason: 'no reason given' }, claimedBy: { actor: 'a@x.io' } })
    // a stale verdict for attempt 1 changes nothing now
    expect(advance(failed.persisted, { type: 'checkpoint.verdict', now: s(3), attempt: 1, passed: true, reason: '' })).toBeNull()
    const again = apply(failed.persisted, { type: 'checkpoint.answer', now: s(4), by: a, response: { approved: true, note: 'dup charge' } })
    expect(again.effects).toEqual([{ type: 'verify', attempt: 2 }])
    const out = apply(again.persisted, { type: 'checkpoint.verdict', now: s(5), attempt: 2, passed: false, reason: 'still no' })
    expect(out.state).toBe('rejected')
    expect(out.effects).toContainEqual({ type: 'resume', state: 'rejected' })
  })
})
