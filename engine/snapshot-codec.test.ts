import { describe, expect, it } from 'vitest'
import { advance, begin, type PersistedCheckpoint } from '../machine/index.js'
import type { CheckpointEvent } from '../machine/types.js'
import { decodeSnapshot, encodeSnapshot } from './snapshot-codec.js'

const T0 = 1_700_000_000_000

describe('snapshot codec', () => {
  it('restores exactly what it stored, at every step of a rich lifecycle, and stores less', () => {
    let p: PersistedCheckpoint = begin({
      id: 'cp_c',
      now: T0,
      notify: ['email:a@x.io'],
      assignTo: ['email:a@x.io'],
      timeoutAt: T0 + 600_000,
      onTimeout: { response: { approved: false } },
      escalation: [{ afterSeconds: 60, notify: ['email:b@x.io'], assignTo: ['email:b@x.io'] }],
      reminders: { everySeconds: 30, max: 2 },
    }).persisted
    const events: CheckpointEvent[] = [
      { type: 'checkpoint.delivered', now: T0 + 1, recipient: 'email:a@x.io' },
      { type: 'checkpoint.remind', now: T0 + 30_000, dueAt: T0 + 30_000 },
      { type: 'checkpoint.escalate', now: T0 + 60_000, dueAt: T0 + 60_000 },
      { type: 'checkpoint.claim', now: T0 + 61_000, by: { channel: 'email', actor: 'b@x.io', identities: ['email:b@x.io'] } },
      { type: 'checkpoint.answer', now: T0 + 62_000, by: { channel: 'email', actor: 'b@x.io', identities: ['email:b@x.io'] }, response: { approved: true } },
    ]
    for (const event of [null, ...events]) {
      if (event) p = advance(p, event)!.persisted
      const encoded = encodeSnapshot(p)
      expect(decodeSnapshot(encoded)).toEqual(p)
      expect(encoded.length).toBeLessThanOrEqual(JSON.stringify(p).length)
    }
    const fresh = begin({ id: 'cp_d', now: T0, notify: ['dashboard'], assignTo: ['dashboard'], timeoutAt: T0 + 1, onTimeout: null }).persisted
    expect(encodeSnapshot(fresh).length).toBeLessThan(JSON.stringify(fresh).length * 0.6)
  })
})
