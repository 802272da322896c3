import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { advance, begin, type PersistedCheckpoint, type Step } from './index.js'
import { isTerminal, type Actor, type CheckpointEvent, type CheckpointInput, type Effect, type EscalationStep, type TimerName } from './types.js'

/**
 * Model-based test of the pure machine: random checkpoints (escalation, reminders, quorum,
 * verification, default answers) driven by random event sequences (people on several
 * channels, services, stale and current timers, verdicts, extends, reassigns), checking the
 * invariants after every step. HOLDPOINT_FC_SEED reproduces a failing run.
 */

const T0 = 1_700_000_000_000
const seed = process.env.HOLDPOINT_FC_SEED
const params = { numRuns: 1000, ...(seed !== undefined && { seed: Number(seed) }) }

const people: Actor[] = [
  { channel: 'email', actor: 'ana@x.io', identities: ['email:ana@x.io', 'user:ana'] },
  { channel: 'slack', actor: 'U0ANA', identities: ['slack:U0ANA', 'user:ana'] }, // Ana again, on Slack
  { channel: 'slack', actor: 'U0BOB', identities: ['slack:U0BOB', 'group:leads'] },
  { channel: 'telegram', actor: '42', identities: ['telegram:42'] },
  { channel: 'dashboard', actor: 'eve', identities: ['user:eve'] }, // assigned to nothing
  { channel: 'api', actor: 'svc', via: 'agent' },
]

const input: fc.Arbitrary<CheckpointInput> = fc.record({
  escalation: fc.option(
    fc.array(
      fc.record({ afterSeconds: fc.integer({ min: 1, max: 120 }), reassign: fc.boolean(), skipIfClaimed: fc.option(fc.boolean(), { nil: undefined }) }).map(({ afterSeconds, reassign, skipIfClaimed }): EscalationStep => ({
        afterSeconds,
        notify: ['group:leads'],
        ...(reassign && { assignTo: ['group:leads'] }),
        ...(skipIfClaimed !== undefined && { skipIfClaimed }),
      })),
      { minLength: 1, maxLength: 3 },
    ),
    { nil: undefined },
  ),
  reminders: fc.option(fc.record({ everySeconds: fc.integer({ min: 1, max: 60 }), max: fc.integer({ min: 1, max: 3 }) }), { nil: null }),
  quorum: fc.option(fc.record({ approvals: fc.integer({ min: 1, max: 3 }), rejectOn: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }), decisionField: fc.constantFrom('approved', null) }), { nil: null, freq: 2 }),
  verify: fc.option(fc.record({ maxAttempts: fc.integer({ min: 1, max: 3 }) }), { nil: null }),
  onTimeout: fc.option(fc.constant({ response: { approved: false } }), { nil: null }),
  timeoutSeconds: fc.integer({ min: 10, max: 600 }),
}).map(({ timeoutSeconds, ...rest }) => ({
  id: 'cp_model',
  now: T0,
  notify: ['email:ana@x.io', 'slack:U0BOB'],
  assignTo: ['user:ana', 'slack:U0BOB', 'telegram:42'],
  timeoutAt: T0 + timeoutSeconds * 1000,
  ...rest,
  // The machine does not combine these (the create validator refuses it), so neither do we.
  ...(rest.quorum !== null && { verify: null }),
}))

/** One step of the walk: which event, built against the current context when it fires. */
type Move =
  | { kind: 'delivered'; recipient: number }
  | { kind: 'claim' | 'release'; who: number }
  | { kind: 'answer'; who: number; approved: boolean }
  | { kind: 'cancel'; who: number }
  | { kind: 'timer'; timer: TimerName; current: boolean; skew: number }
  | { kind: 'verdict'; passed: boolean; current: boolean }
  | { kind: 'extend'; seconds: number }
  | { kind: 'reassign'; to: number }

const who = fc.integer({ min: 0, max: people.length - 1 })
const move: fc.Arbitrary<Move> = fc.oneof(
  fc.record({ kind: fc.constant('delivered' as const), recipient: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ kind: fc.constantFrom('claim' as const, 'release' as const), who }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('answer' as const), who, approved: fc.boolean() }) },
  fc.record({ kind: fc.constant('cancel' as const), who }),
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('timer' as const), timer: fc.constantFrom<TimerName>('checkpoint.timeout', 'checkpoint.escalate', 'checkpoint.remind'), current: fc.boolean(), skew: fc.integer({ min: -5000, max: 5000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('verdict' as const), passed: fc.boolean(), current: fc.constantFrom(true, true, false) }) },
  fc.record({ kind: fc.constant('extend' as const), seconds: fc.integer({ min: -60, max: 600 }) }),
  fc.record({ kind: fc.constant('reassign' as const), to: fc.integer({ min: 0, max: 2 }) }),
)

const ROUTES = ['email:ana@x.io', 'slack:U0BOB', 'telegram:42']

function eventFor(m: Move, p: PersistedCheckpoint, now: number): CheckpointEvent {
  const ctx = p.context
  switch (m.kind) {
    case 'delivered':
      return { type: 'checkpoint.delivered', now, recipient: ROUTES[m.recipient]! }
    case 'claim':
      return { type: 'checkpoint.claim', now, by: people[m.who]! }
    case 'release':
      return { type: 'checkpoint.release', now, by: people[m.who]! }
    case 'answer':
      return { type: 'checkpoint.answer', now, by: people[m.who]!, response: { approved: m.approved } }
    case 'cancel':
      return { type: 'checkpoint.cancel', now, by: people[m.who]! }
    case 'timer': {
      const due = m.timer === 'checkpoint.timeout' ? ctx.timeoutAt : m.timer === 'checkpoint.escalate' ? ctx.nextEscalationAt : ctx.nextReminderAt
      const dueAt = m.current && due !== null ? due : (due ?? now) + (m.skew === 0 ? 1 : m.skew)
      return { type: m.timer, now: Math.max(now, dueAt), dueAt }
    }
    case 'verdict':
      return { type: 'checkpoint.verdict', now, attempt: m.current ? ctx.attempts + 1 : ctx.attempts + 2, passed: m.passed, reason: 'model' }
    case 'extend':
      return { type: 'checkpoint.extend', now, by: people[5]!, timeoutAt: now + m.seconds * 1000 }
    case 'reassign':
      return { type: 'checkpoint.reassign', now, by: people[5]!, assignTo: [ROUTES[m.to]!] }
  }
}

const timersOf = (effects: Effect[], type: 'schedule' | 'cancelTimer') =>
  effects.flatMap((e) => (e.type === type ? [`${e.timer}@${e.at}`] : []))

/** Timers scheduled and not yet cancelled or fired, as the timer queue would hold them. */
function track(pending: Set<string>, effects: Effect[]): void {
  for (const t of timersOf(effects, 'cancelTimer')) pending.delete(t)
  for (const t of timersOf(effects, 'schedule')) pending.add(t)
}

const isTimer = (e: CheckpointEvent): e is Extract<CheckpointEvent, { dueAt: number }> =>
  e.type === 'checkpoint.timeout' || e.type === 'checkpoint.escalate' || e.type === 'checkpoint.remind'

describe('the checkpoint machine under random event sequences', () => {
  it('keeps its invariants after every step', () => {
    // Which endings the walks reached: a generator that never gets anywhere proves nothing.
    const reached = new Set<string>()
    fc.assert(
      fc.property(input, fc.array(fc.tuple(move, fc.integer({ min: 0, max: 90_000 })), { maxLength: 40 }), (init, moves) => {
        const first = begin(init)
        let step: Step = first
        let now = T0
        const pending = new Set<string>()
        track(pending, first.effects)
        let finished: Step | null = null
        const accepted = new Set<string>()
        for (const [m, dt] of moves) {
          now += dt
          const event = eventFor(m, step.persisted, now)
          const next = advance(step.persisted, event)

          // terminal states absorb every event
          if (finished) {
            expect(next, `${event.type} after ${finished.state}`).toBeNull()
            continue
          }
          if (!next) continue
          // (a timer firing is just another event; it may fire after the wall clock moved on)
          const before = step.persisted.context
          const after = next.persisted.context
          expect(after.updatedAt, 'updatedAt went backwards').toBeGreaterThanOrEqual(before.updatedAt)
          expect(after.createdAt).toBe(before.createdAt)
          // a stale timer changes nothing
          if (event.type === 'checkpoint.timeout') expect(event.dueAt).toBe(before.timeoutAt)
          if (event.type === 'checkpoint.escalate') expect(event.dueAt).toBe(before.nextEscalationAt)
          if (event.type === 'checkpoint.remind') expect(event.dueAt).toBe(before.nextReminderAt)
          // under quorum each person counts once
          const persons = after.answers.map((a) => a.person)
          expect(new Set(persons).size, 'a person counted twice').toBe(persons.length)
          if (event.type === 'checkpoint.answer' && init.quorum === null && after.respondedBy) accepted.add(JSON.stringify(after.respondedBy))

          // a timer that fired is spent
          if (isTimer(event)) pending.delete(`${event.type}@${event.dueAt}`)
          step = next
          reached.add(next.state)
          if (isTerminal(next.state)) {
            finished = next
            // a terminal transition resumes the agent and cancels every timer still pending
            expect(next.effects.filter((e) => e.type === 'resume')).toEqual([{ type: 'resume', state: next.state }])
            const cancelled = new Set(timersOf(next.effects, 'cancelTimer'))
            expect([...pending].filter((t) => !cancelled.has(t)), 'a pending timer survived the end').toEqual([])
            expect(next.effects.some((e) => e.type === 'schedule'), 'a finished checkpoint scheduled a timer').toBe(false)
          } else {
            expect(next.effects.some((e) => e.type === 'resume'), 'resumed before the end').toBe(false)
          }
          track(pending, next.effects)
        }
        // at most one accepted answer unless quorum
        if (init.quorum === null) expect(accepted.size).toBeLessThanOrEqual(1)
        if (finished && finished.state === 'resolved' && init.quorum === null) expect(finished.persisted.context.respondedBy).not.toBeNull()
      }),
      params,
    )
    expect([...reached].sort()).toEqual(expect.arrayContaining(['cancelled', 'claimed', 'delivered', 'expired', 'rejected', 'resolved', 'verifying']))
  })
})
