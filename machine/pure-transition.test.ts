import { initialTransition, transition } from 'xstate'
import { describe, expect, it } from 'vitest'
import { checkpointMachine } from './checkpoint-machine.js'
import { initialStep, nextStep } from './pure-transition.js'
import type { CheckpointEvent, CheckpointInput } from './types.js'

const T0 = 1_700_000_000_000
const ana = { channel: 'email' as const, actor: 'a@x.io', identities: ['email:a@x.io'] }
const bea = { channel: 'email' as const, actor: 'b@x.io', identities: ['email:b@x.io'] }

const input: CheckpointInput = {
  id: 'cp_pure',
  now: T0,
  notify: ['dashboard', 'email:a@x.io'],
  assignTo: ['email:a@x.io', 'email:b@x.io'],
  timeoutAt: T0 + 600_000,
  onTimeout: null,
  escalation: [{ afterSeconds: 60, notify: ['email:b@x.io'] }],
  reminders: { everySeconds: 30, max: 2 },
  quorum: { approvals: 2, rejectOn: 1, decisionField: 'approved' },
}

/** What the store reads of an action (its type and the effects it lists), not the scope it ran in. */
const described = (actions: ReadonlyArray<{ type: string; params?: unknown }>) => actions.map((a) => ({ type: a.type, params: a.params }))

// Taken and refused events alike, through escalation, reminders, claims and a quorum.
const events: CheckpointEvent[] = [
  { type: 'checkpoint.delivered', now: T0, recipient: 'dashboard' },
  { type: 'checkpoint.delivered', now: T0, recipient: 'dashboard' },
  { type: 'checkpoint.remind', now: T0 + 30_000, dueAt: T0 + 30_000 },
  { type: 'checkpoint.escalate', now: T0 + 60_000, dueAt: T0 + 60_000 },
  { type: 'checkpoint.claim', now: T0 + 61_000, by: ana },
  { type: 'checkpoint.answer', now: T0 + 62_000, by: bea, response: { approved: true } },
  { type: 'checkpoint.release', now: T0 + 63_000, by: ana },
  { type: 'checkpoint.answer', now: T0 + 64_000, by: ana, response: { approved: true } },
  { type: 'checkpoint.answer', now: T0 + 65_000, by: bea, response: { approved: true } },
  { type: 'checkpoint.timeout', now: T0 + 600_000, dueAt: T0 + 600_000 },
]

describe('pure transitions on one reused actor scope', () => {
  it('give the snapshots and actions XState’s own transition functions give, step after step', () => {
    const [ours, ourActions] = initialStep(input)
    const [theirs, theirActions] = initialTransition(checkpointMachine, input)
    expect(ours.status).toBe('active')
    expect({ value: ours.value, context: ours.context, actions: described(ourActions) }).toEqual({ value: theirs.value, context: theirs.context, actions: described(theirActions) })
    let a = ours
    let b = theirs
    for (const event of events) {
      const [nextOurs, actionsOurs] = nextStep(a, event)
      const [nextTheirs, actionsTheirs] = transition(checkpointMachine, b, event)
      expect({ value: nextOurs.value, status: nextOurs.status, context: nextOurs.context, actions: described(actionsOurs) }).toEqual({
        value: nextTheirs.value,
        status: nextTheirs.status,
        context: nextTheirs.context,
        actions: described(actionsTheirs),
      })
      a = nextOurs
      b = nextTheirs
    }
    expect(a.status).toBe('done')
  })

  it('leave no action of one step in the next', () => {
    const [first, begun] = initialStep(input)
    expect(begun.length).toBeGreaterThan(0)
    const [, none] = nextStep(first, { type: 'checkpoint.delivered', now: T0, recipient: 'nobody-notified' })
    const [, again] = nextStep(first, { type: 'checkpoint.delivered', now: T0, recipient: 'dashboard' })
    expect(none.some((action) => begun.includes(action))).toBe(false)
    expect(again.some((action) => begun.includes(action))).toBe(false)
  })
})
