import { describe, expect, it } from 'vitest'
import { advance, begin, refusalOf } from '../../machine/index.js'
import type { Actor } from '../../machine/types.js'

// Pure machine: time is injected through events, never slept.
const T0 = 1_700_000_000_000
const s = (seconds: number) => T0 + seconds * 1000
const start = () => begin({ id: 'cp_rule', now: T0, notify: ['email:a@x.io'], assignTo: ['email:a@x.io'], timeoutAt: s(600), onTimeout: null })
const rule: Actor = { channel: 'rule', actor: 'small-refunds', name: 'policy: small refunds' }

describe('an answer by a standing rule', () => {
  it('is taken like a service answer although the rule is not among assignTo', () => {
    const step = advance(start().persisted, { type: 'checkpoint.answer', now: s(1), by: rule, response: { approved: true } })
    expect(step?.state).toBe('resolved')
    expect(step?.persisted.context.respondedBy).toEqual({ channel: 'rule', actor: 'small-refunds', name: 'policy: small refunds' })
    expect(step?.effects).toContainEqual({ type: 'resume', state: 'resolved' })
  })

  it('does not take a checkpoint a person has claimed', () => {
    const person: Actor = { channel: 'email', actor: 'a@x.io', identities: ['email:a@x.io'] }
    const claimed = advance(start().persisted, { type: 'checkpoint.claim', now: s(1), by: person })
    if (!claimed) throw new Error('claim refused')
    const event = { type: 'checkpoint.answer' as const, now: s(2), by: rule, response: { approved: true } }
    expect(advance(claimed.persisted, event)).toBeNull()
    expect(refusalOf(claimed.persisted, event).code).not.toBe('terminal')
  })

  it('is still refused from any other unknown channel', () => {
    const stranger: Actor = { channel: 'rules', actor: 'x' }
    expect(advance(start().persisted, { type: 'checkpoint.answer', now: s(1), by: stranger, response: {} })).toBeNull()
  })
})
