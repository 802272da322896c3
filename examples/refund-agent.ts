// A refund agent that will not move money without a person's say-so.
//
//   npm start                          # dev mode: writes .data/dev.json with a token
//   npx tsx examples/refund-agent.ts   # asks, waits, prints the typed answer
//
// Open the printed dashboard link, answer, and the agent resumes. Stop the server while it
// waits and start it again: the agent keeps waiting on the same checkpoint. Stop the agent
// instead and re-run it with the printed REFUND_RUN_ID: the same run id is the same
// idempotency key, so it picks up the same checkpoint rather than asking twice.
//
// Exit codes: 0 answered (approved or declined) · 2 configuration · 3 token refused ·
// 4 request invalid · 5 nobody answered in time · 6 cancelled · 7 rejected by verification ·
// 8 answer did not match the schema · 69 Holdpoint unavailable · 130 interrupted · 1 other.
import { z } from 'zod'
import {
  awaitHuman,
  CheckpointCancelledError,
  CheckpointRejectedError,
  CheckpointResponseInvalidError,
  CheckpointTimeoutError,
  CheckpointValidationError,
  HoldpointAuthError,
  HoldpointConfigError,
  HoldpointError,
  HoldpointUnavailableError,
} from 'holdpoint/sdk'

const Refund = z.object({
  amountUsd: z.number().positive(),
  customerId: z.string(),
  reason: z.string(),
})

const Decision = z.object({
  approved: z.boolean().describe('Refund the customer?'),
  note: z.string().optional().describe('Shown to the support team'),
})

async function issueRefund(refund: z.infer<typeof Refund>): Promise<void> {
  // A real agent would call the payment provider here.
  await Promise.resolve()
  console.log(`Refunded $${refund.amountUsd} to ${refund.customerId}.`)
}

function explain(error: unknown, interrupted: AbortSignal, runId: string): number {
  if (interrupted.aborted) {
    console.error(`Interrupted. The question stays open; resume with REFUND_RUN_ID=${runId} npx tsx examples/refund-agent.ts`)
    return 130
  }
  if (error instanceof HoldpointConfigError) {
    console.error(`Not configured: ${error.message}`)
    return 2
  }
  if (error instanceof HoldpointAuthError) {
    console.error('Holdpoint refused the API token. Check HOLDPOINT_API_TOKEN (or restart `npm start` in dev mode).')
    return 3
  }
  if (error instanceof CheckpointValidationError) {
    console.error(`Holdpoint refused the question as invalid:`)
    for (const field of error.errors) console.error(`  ${field.path ?? '(body)'}: ${field.message ?? 'invalid'}`)
    return 4
  }
  if (error instanceof CheckpointTimeoutError) {
    console.error(`Nobody answered ${error.checkpointId} in time; no refund was issued.`)
    return 5
  }
  if (error instanceof CheckpointCancelledError) {
    console.error(`Checkpoint ${error.checkpointId} was cancelled; no refund was issued.`)
    return 6
  }
  if (error instanceof CheckpointRejectedError) {
    console.error(`Every answer to ${error.checkpointId} failed verification; no refund was issued.`)
    return 7
  }
  if (error instanceof CheckpointResponseInvalidError) {
    console.error(`The answer to ${error.checkpointId} does not match the Decision schema: ${error.message}`)
    return 8
  }
  if (error instanceof HoldpointUnavailableError) {
    console.error(`${error.message}. Is the server running? The question, if created, is still there.`)
    return 69
  }
  if (error instanceof HoldpointError) {
    console.error(`Holdpoint error (${error.code}): ${error.message}`)
    return 1
  }
  console.error(error)
  return 1
}

async function main(): Promise<number> {
  const interrupt = new AbortController()
  process.once('SIGINT', () => interrupt.abort(new Error('interrupted')))

  const refund = { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge on 2026-11-20' }
  const runId = process.env.REFUND_RUN_ID ?? crypto.randomUUID()
  try {
    const decision = await awaitHuman({
      task: `Approve a $${refund.amountUsd} refund for ${refund.customerId}?`,
      payload: refund,
      payloadSchema: Refund,
      responseSchema: Decision,
      timeout: '15m',
      notify: ['dashboard'],
      metadata: { agent: 'refund-agent', runId },
      idempotencyKey: `refund-agent:${runId}`,
      signal: interrupt.signal,
      onCreated: (checkpoint) => {
        console.log(`Asked a person (${checkpoint.id}). Answer here: ${checkpoint.links.dashboard}`)
        console.log('Waiting…')
      },
    })
    // `decision` is typed { approved: boolean; note?: string } from the zod schema.
    const note = decision.note === undefined ? '' : ` Note: ${decision.note}`
    if (decision.approved) {
      console.log(`Approved.${note}`)
      await issueRefund(refund)
    } else {
      console.log(`Declined; no refund issued.${note}`)
    }
    return 0
  } catch (error) {
    return explain(error, interrupt.signal, runId)
  }
}

process.exitCode = await main()
