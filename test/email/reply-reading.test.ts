import { describe, expect, it } from 'vitest'
import { readReply } from '../../channels/email/reply-reading.js'
import { stripQuoted } from '../../channels/email/reply-text.js'
import { approvalSchema } from '../support/holdpoint.js'

const read = (schema: Record<string, unknown>, text: string) => readReply(schema, stripQuoted(text))

describe('reading a reply by rule', () => {
  it.each([
    ['Yes', { approved: true }],
    ['YES!!', { approved: true }],
    ['ok.', { approved: true }],
    ['Approved: duplicate charge confirmed', { approved: true, note: 'duplicate charge confirmed' }],
    ['👍', { approved: true }],
    ['👍🏽 fine by me', { approved: true, note: 'fine by me' }],
    ['no', { approved: false }],
    ['No – reason here\nsecond line of it\n\nBest, Ana', { approved: false, note: 'reason here second line of it' }],
    ['Deny, not a duplicate', { approved: false, note: 'not a duplicate' }],
    ['"Reject"', { approved: false }],
    ['👎', { approved: false }],
  ])('%j → %j', (text, expected) => {
    expect(read(approvalSchema, text)).toEqual({ kind: 'answer', response: expected })
  })

  it.each(['maybe', 'Yesterday was fine', 'I think yes', '', '> Yes\n> quoted only'])('%j is unclear', (text) => {
    expect(read(approvalSchema, text).kind).toBe('unclear')
  })

  it('leaves the note out when the schema has none, and clips it to maxLength', () => {
    expect(read({ type: 'boolean' }, 'yes please')).toEqual({ kind: 'answer', response: true })
    const short = { ...approvalSchema, properties: { ...approvalSchema.properties, note: { type: 'string', maxLength: 5 } } }
    expect(read(short, 'no because of reasons')).toEqual({ kind: 'answer', response: { approved: false, note: 'becau' } })
  })

  it('reads a single enum by value or title', () => {
    const plain = { type: 'object', properties: { tier: { enum: ['low', 'high'] } }, required: ['tier'] }
    expect(read(plain, 'High')).toEqual({ kind: 'answer', response: { tier: 'high' } })
    expect(read(plain, 'medium').kind).toBe('unclear')
    const titled = { oneOf: [{ const: 'a1', title: 'Refund in full' }, { const: 'a2', title: 'Store credit' }] }
    expect(read(titled, 'store credit.')).toEqual({ kind: 'answer', response: 'a2' })
  })

  it('reads a single number or string', () => {
    expect(read({ type: 'object', properties: { amount: { type: 'number' } }, required: ['amount'] }, '$1,250.50')).toEqual({ kind: 'answer', response: { amount: 1250.5 } })
    expect(read({ type: 'integer' }, '3.5').kind).toBe('unclear')
    expect(read({ type: 'string' }, 'Ship it on Monday.\n\nOn Tue, Dec 1, 2026 at 9:00 AM Bot <b@x.test> wrote:\n> q')).toEqual({ kind: 'answer', response: 'Ship it on Monday.' })
  })

  it('leaves schemas with several required fields to a model', () => {
    const schema = { type: 'object', properties: { amount: { type: 'number' }, note: { type: 'string' } }, required: ['amount', 'note'] }
    expect(read(schema, 'yes').kind).toBe('unclear')
  })
})
