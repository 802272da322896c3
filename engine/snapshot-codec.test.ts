import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { advance, begin, type PersistedCheckpoint } from '../machine/index.js'
import type { CheckpointEvent } from '../machine/types.js'
import { AtRest } from './at-rest.js'
import { checkpointInput, snapshotBaseline } from './checkpoint-input.js'
import { formatRecord, parseRecord } from './checkpoint-record.js'
import { FieldCipher } from './field-cipher.js'
import { newCheckpointId } from './ids.js'
import { Keyring } from './keyring.js'
import { decodeCompactSnapshot, decodeSnapshot, encodeCompactSnapshot, encodeSnapshot } from './snapshot-codec.js'
import { compactRequest, expandRequest, requestHash, schemaRefs, type StoredRequest } from './stored-request.js'

const T0 = 1_700_000_000_000
const bea = { channel: 'email', actor: 'b@x.io', identities: ['email:b@x.io'] }

function request(extra: Partial<StoredRequest> = {}): StoredRequest {
  const base = {
    task: 'Approve a $250 refund for cus_42?',
    payload: { amountUsd: 250 },
    responseSchema: { type: 'object', properties: { note: { type: 'string' }, approved: { type: 'boolean' } }, required: ['approved'] },
    notify: ['dashboard', 'email:a@x.io'],
    assignTo: ['dashboard', 'email:a@x.io'],
    timeoutSeconds: 600,
    onTimeout: { response: { approved: false } },
    escalation: [{ afterSeconds: 60, notify: ['email:b@x.io'], assignTo: ['email:b@x.io'] }],
    reminders: { everySeconds: 30, max: 2 },
    createdBy: 'agent',
    ...extra,
  }
  return { ...base, requestHash: requestHash(base) }
}

/** A rich lifecycle: every snapshot it passes through. */
function lifecycle(id: string, req: StoredRequest): PersistedCheckpoint[] {
  let p = begin(checkpointInput(id, T0, req)).persisted
  const events: CheckpointEvent[] = [
    { type: 'checkpoint.delivered', now: T0, recipient: 'dashboard' },
    { type: 'checkpoint.delivered', now: T0 + 1, recipient: 'email:a@x.io' },
    { type: 'checkpoint.remind', now: T0 + 30_000, dueAt: T0 + 30_000 },
    { type: 'checkpoint.escalate', now: T0 + 60_000, dueAt: T0 + 60_000 },
    { type: 'checkpoint.delivered', now: T0 + 60_001, recipient: 'email:b@x.io' },
    { type: 'checkpoint.claim', now: T0 + 61_000, by: bea },
    { type: 'checkpoint.answer', now: T0 + 62_000, by: bea, response: { approved: true } },
  ]
  const out = [p]
  for (const event of events) {
    p = advance(p, event)!.persisted
    out.push(p)
  }
  return out
}

describe('snapshot codec', () => {
  it('standalone: restores exactly what it stored, at every step of a rich lifecycle, and stores less', () => {
    for (const p of lifecycle('cp_c', request())) {
      const encoded = encodeSnapshot(p)
      expect(decodeSnapshot(encoded)).toEqual(p)
      expect(encoded.length).toBeLessThanOrEqual(JSON.stringify(p).length)
    }
    const fresh = begin({ id: 'cp_d', now: T0, notify: ['dashboard'], assignTo: ['dashboard'], timeoutAt: T0 + 1, onTimeout: null }).persisted
    expect(encodeSnapshot(fresh).length).toBeLessThan(JSON.stringify(fresh).length * 0.6)
  })

  it('compact: restores every step exactly from the request and id, repeating none of the request', () => {
    const id = newCheckpointId(T0)
    const req = request()
    const steps = lifecycle(id, req)
    for (const [i, p] of steps.entries()) {
      const encoded = encodeCompactSnapshot(p, snapshotBaseline(id, req))
      expect(decodeCompactSnapshot(encoded, snapshotBaseline(id, req))).toEqual(p)
      expect(encoded.length).toBeLessThan(encodeSnapshot(p).length)
      expect(encoded).not.toContain(id)
      // Until the escalation changes who is notified, nothing of the request is repeated.
      if (i < 4) for (const repeated of ['email:a@x.io"', String(T0 + 600_000)]) expect(encoded).not.toContain(repeated)
    }
    expect(encodeCompactSnapshot(steps[0]!, snapshotBaseline(id, req))).toBe('{"s":"pending"}')
    expect(encodeCompactSnapshot(steps[2]!, snapshotBaseline(id, req))).toBe(`{"s":"delivered","updatedAt":${T0 + 1},"deliveredTo":[0,1]}`)
  })

  it('compact: a decoded context shares nothing with its baseline, and an agent\'s __proto__ key stays data', () => {
    const id = newCheckpointId(T0)
    const onTimeout = { response: JSON.parse('{"approved":false,"__proto__":{"polluted":true}}') as Record<string, unknown> }
    const req = request({ onTimeout })
    const baseline = snapshotBaseline(id, req)
    const first = decodeCompactSnapshot('{"s":"pending"}', baseline)
    expect(Object.keys(first.context.onTimeout!.response as object)).toEqual(['approved', '__proto__'])
    expect(Object.getPrototypeOf(first.context.onTimeout!.response)).toBe(Object.prototype)
    expect(first.context).toEqual(begin(checkpointInput(id, T0, req)).persisted.context)
    first.context.notify.push('email:z@x.io')
    first.context.deliveredTo.push('dashboard')
    const second = decodeCompactSnapshot('{"s":"pending"}', baseline)
    expect(second.context.notify).toEqual(req.notify)
    expect(second.context.deliveredTo).toEqual([])
  })

  it('compact: with values sealed at rest, compares in plaintext and decodes from the sealed request', () => {
    const atRest = new AtRest(new FieldCipher(new Keyring([{ kid: 'k1', key: randomBytes(32) }])))
    const id = newCheckpointId(T0)
    const plain = request()
    const sealed = atRest.sealRequest(plain)
    for (const p of lifecycle(id, plain)) {
      const encoded = encodeCompactSnapshot(p, snapshotBaseline(id, plain), atRest.sealSnapshot(p))
      // The default answer is the request's own (sealed there), not a second ciphertext.
      expect(encoded).not.toContain('onTimeout')
      expect(atRest.openSnapshot(decodeCompactSnapshot(encoded, snapshotBaseline(id, sealed)))).toEqual(p)
    }
  })

  it('compact: stores whatever the id cannot say (an id not made by newCheckpointId)', () => {
    const req = request({ escalation: undefined, reminders: undefined })
    const p = begin(checkpointInput('cp_handmade', T0, req)).persisted
    const encoded = encodeCompactSnapshot(p, snapshotBaseline('cp_handmade', req))
    expect(encoded).toContain(String(T0))
    expect(decodeCompactSnapshot(encoded, snapshotBaseline('cp_handmade', req))).toEqual(p)
  })
})

describe('compact request and record', () => {
  it('names schemas by content hash, drops what is derived, and expands back to the same request', () => {
    const req = request({ payloadSchema: { type: 'object' }, notify: ['dashboard'], assignTo: ['dashboard'], timeoutSeconds: 86_400 })
    const { compact, schemas } = compactRequest(req)
    expect(schemaRefs(compact)).toHaveLength(2)
    expect(compact).not.toHaveProperty('requestHash')
    expect(compact).not.toHaveProperty('assignTo')
    expect(compact).not.toHaveProperty('notify')
    expect(compact).not.toHaveProperty('timeoutSeconds')
    const parsed = new Map([...schemas].map(([hash, json]) => [hash, JSON.parse(json) as Record<string, unknown>]))
    const { requestHash: hash, ...rest } = req
    expect(expandRequest(compact, parsed)).toEqual(rest)
    expect(requestHash(expandRequest(compact, parsed))).toBe(hash)
    // The agent's key order survives (forms list properties in it).
    expect(Object.keys(expandRequest(compact, parsed).responseSchema.properties as object)).toEqual(['note', 'approved'])
    expect(() => expandRequest(compact, new Map())).toThrow(/schema .* is missing/)
  })

  it('splits a record by bytes, whatever characters the request holds', () => {
    const parts = { version: 12, auditLength: 30, auditHead: 'h-_0', request: JSON.stringify({ task: 'Rückerstattung über 250 € genehmigen? ✓' }), snapshot: '{"s":"claimed"}' }
    expect(parseRecord(Buffer.from(formatRecord(parts)))).toEqual(parts)
    expect(() => parseRecord(Buffer.from('{"req":1}'))).toThrow(/unknown checkpoint record format/)
  })
})
