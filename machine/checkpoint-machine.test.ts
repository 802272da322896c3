import { describe, expect, it } from 'vitest'
import { advance, begin, refusalOf, type PersistedCheckpoint } from './index.js'
import type { Actor, CheckpointEvent } from './types.js'

const T0 = 1_700_000_000_000
const ana: Actor = { channel: 'dashboard', actor: 'ana', name: 'Ana', identities: ['dashboard', 'email:ana@example.com'] }
const bob: Actor = { channel: 'slack', actor: 'U0BOB', identities: ['slack:U0BOB'] }
const service: Actor = { channel: 'api', actor: 'billing-bot', via: 'agent' }

function start(overrides: Partial<Parameters<typeof begin>[0]> = {}) {
  return begin({
    id: 'cp_test',
    now: T0,
    notify: ['dashboard', 'email:ana@example.com'],
    assignTo: ['dashboard', 'email:ana@example.com'],
    timeoutAt: T0 + 60_000,
    onTimeout: null,
    ...overrides,
  })
}

function apply(p: PersistedCheckpoint, event: CheckpointEvent) {
  const step = advance(p, event)
  if (!step) throw new Error(`refused: ${JSON.stringify(refusalOf(p, event))}`)
  return step
}

/** What a rehydrated copy goes through: JSON out and back, as the store does. */
const roundTrip = (p: PersistedCheckpoint): PersistedCheckpoint => JSON.parse(JSON.stringify(p))

describe('checkpoint machine', () => {
  it('starts pending, asks for delivery to everyone notified and schedules its deadline', () => {
    const step = start()
    expect(step.state).toBe('pending')
    expect(step.effects).toEqual([
      { type: 'deliver', recipients: ['dashboard', 'email:ana@example.com'] },
      { type: 'schedule', timer: 'checkpoint.timeout', at: T0 + 60_000 },
    ])
  })

  it('walks pending → delivered → claimed → resolved and asks to resume and cancel the deadline', () => {
    let p = start().persisted
    p = apply(p, { type: 'checkpoint.delivered', now: T0 + 1, recipient: 'dashboard' }).persisted
    const claimed = apply(p, { type: 'checkpoint.claim', now: T0 + 2, by: ana })
    expect(claimed.state).toBe('claimed')
    const done = apply(claimed.persisted, { type: 'checkpoint.answer', now: T0 + 3, by: ana, response: { approved: true } })
    expect(done.state).toBe('resolved')
    expect(done.persisted.context.respondedBy).toEqual({ channel: 'dashboard', actor: 'ana', name: 'Ana' })
    expect(done.effects.map((e) => e.type)).toEqual(['cancelTimer', 'publishUpdate', 'resume'])
  })

  it('refuses people outside assignTo, and answers over someone else’s claim', () => {
    let p = start().persisted
    expect(advance(p, { type: 'checkpoint.answer', now: T0, by: bob, response: {} })).toBeNull()
    expect(refusalOf(p, { type: 'checkpoint.answer', now: T0, by: bob, response: {} })).toEqual({ code: 'not_assigned' })
    p = apply(p, { type: 'checkpoint.claim', now: T0, by: ana }).persisted
    const carol: Actor = { channel: 'email', actor: 'carol@example.com', identities: ['dashboard'] }
    const ev: CheckpointEvent = { type: 'checkpoint.answer', now: T0, by: carol, response: {} }
    expect(advance(p, ev)).toBeNull()
    expect(refusalOf(p, ev)).toEqual({ code: 'claimed_by_other', claimedBy: 'Ana' })
    // a service acting through the agent API is trusted
    expect(apply(p, { type: 'checkpoint.answer', now: T0, by: service, response: { approved: false } }).state).toBe('resolved')
  })

  it('expires on its current deadline only, and resolves with the default answer when the agent gave one', () => {
    const p = start().persisted
    expect(advance(p, { type: 'checkpoint.timeout', now: T0 + 30_000, dueAt: T0 + 30_000 })).toBeNull()
    expect(apply(p, { type: 'checkpoint.timeout', now: T0 + 60_000, dueAt: T0 + 60_000 }).state).toBe('expired')
    const withDefault = start({ onTimeout: { response: { approved: false } } }).persisted
    const step = apply(withDefault, { type: 'checkpoint.timeout', now: T0 + 60_000, dueAt: T0 + 60_000 })
    expect(step.state).toBe('resolved')
    expect(step.persisted.context.respondedBy).toEqual({ channel: 'system', actor: 'timeout', default: true })
  })

  it('ignores everything once terminal', () => {
    const p = apply(start().persisted, { type: 'checkpoint.cancel', now: T0, by: service }).persisted
    const ev: CheckpointEvent = { type: 'checkpoint.answer', now: T0, by: ana, response: {} }
    expect(advance(p, ev)).toBeNull()
    expect(refusalOf(p, ev)).toEqual({ code: 'terminal', state: 'cancelled' })
  })

  it('behaves the same after its persisted snapshot is stringified and restored', () => {
    const events: CheckpointEvent[] = [
      { type: 'checkpoint.delivered', now: T0 + 1, recipient: 'dashboard' },
      { type: 'checkpoint.claim', now: T0 + 2, by: ana },
      { type: 'checkpoint.release', now: T0 + 3, by: ana },
      { type: 'checkpoint.answer', now: T0 + 4, by: ana, response: { approved: true } },
    ]
    let live = start().persisted
    let rehydrated = roundTrip(live)
    for (const event of events) {
      const a = apply(live, event)
      const b = apply(rehydrated, event)
      expect(b.state).toBe(a.state)
      expect(b.effects).toEqual(a.effects)
      expect(b.persisted).toEqual(a.persisted)
      live = a.persisted
      rehydrated = roundTrip(b.persisted)
    }
    expect(live.context.response).toEqual({ approved: true })
  })
})
