// An Inngest function that asks a person before refunding, and sleeps (no polling) until
// Holdpoint's `resume.inngest` event wakes it.
//
//   Holdpoint: INNGEST_BASE_URL=http://127.0.0.1:8288 npm start   (the Inngest dev server)
//   Agent:     serve `functions` with inngest's serve() for your framework, then send
//              { name: 'app/refund.requested', data: { customerId: 'cus_42', amountUsd: 250 } }
import { Inngest } from 'inngest'
import { z } from 'zod'
import { askInStep } from 'holdpoint/sdk/inngest'

const inngest = new Inngest({ id: 'refund-agent' })
const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })

export const refund = inngest.createFunction({ id: 'refund', triggers: [{ event: 'app/refund.requested' }] }, async ({ event, step, runId }) => {
  const { customerId, amountUsd } = event.data as { customerId: string; amountUsd: number }
  const decision = await askInStep(step, {
    runId,
    task: `Refund $${amountUsd} to ${customerId}?`,
    payload: { customerId, amountUsd },
    responseSchema: Decision,
    timeout: '1d',
  })
  if (!decision.approved) return { refunded: false, note: decision.note ?? null }
  await step.run('refund', () => ({ refundId: `re_${customerId}` })) // call the payment provider here
  return { refunded: true }
})

export const functions = [refund]
