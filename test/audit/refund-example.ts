import { createSpecSchema } from '../../engine/create-spec.js'

/** The README's refund example, sent to the dashboard and one email recipient (issue 18's measure). */
export const refundSpec = createSpecSchema.parse({
  task: 'Approve a $250 refund for cus_42?',
  payload: { amountUsd: 250, customerId: 'cus_42' },
  responseSchema: { type: 'object', properties: { approved: { type: 'boolean' }, note: { type: 'string' } }, required: ['approved'] },
  notify: ['dashboard', 'email:ana@example.com'],
})

/** The email recipient, as the email channel resolves her. */
export const ana = { channel: 'email', actor: 'ana@example.com', identities: ['email:ana@example.com'] }
