// A Temporal workflow that asks a person and waits for Holdpoint's signal.
//
// This file holds the three pieces; in a real project they live apart: the workflow in your
// workflows bundle (it imports `@temporalio/workflow`, passed in here as `wf` so the example
// type-checks without it), the activity in your worker.
import { z } from 'zod'
import { createCheckpoint, type ResumeEvent } from 'holdpoint/sdk'
import { HOLDPOINT_TEMPORAL_SIGNAL, HoldpointInbox } from 'holdpoint/sdk/temporal'

const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })

// Activity (worker side): idempotent under the workflow id, so an activity retry asks no one twice.
export async function askForApproval(input: { workflowId: string; amountUsd: number }): Promise<string> {
  const checkpoint = await createCheckpoint({
    task: `Refund $${input.amountUsd}?`,
    responseSchema: Decision,
    idempotencyKey: `temporal:${input.workflowId}:approval`,
    resume: { temporal: { address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233', namespace: 'default', workflowId: input.workflowId } },
  })
  return checkpoint.id
}

// The parts of @temporalio/workflow the workflow uses (`import * as wf from '@temporalio/workflow'`).
interface WorkflowApi {
  defineSignal: (name: string) => unknown
  setHandler: (signal: never, handler: (event: ResumeEvent) => void) => void
  condition: (fn: () => boolean, timeout: string) => Promise<boolean>
  workflowInfo: () => { workflowId: string }
  proxyActivities: <A>(options: { startToCloseTimeout: string }) => A
}

// Workflow: the handler is set before the activity runs; Temporal buffers an early signal anyway.
export async function refundWorkflow(wf: WorkflowApi, amountUsd: number): Promise<string> {
  const inbox = new HoldpointInbox()
  // With the real module: setHandler(defineSignal<[ResumeEvent]>(HOLDPOINT_TEMPORAL_SIGNAL), inbox.receive)
  wf.setHandler(wf.defineSignal(HOLDPOINT_TEMPORAL_SIGNAL) as never, inbox.receive)
  const { askForApproval: ask } = wf.proxyActivities<{ askForApproval: typeof askForApproval }>({ startToCloseTimeout: '1 minute' })
  const checkpointId = await ask({ workflowId: wf.workflowInfo().workflowId, amountUsd })
  const result = await inbox.wait(wf.condition, { checkpointId, timeout: '1 day', responseSchema: Decision })
  if (result.outcome !== 'answered') return `no refund (${result.outcome})`
  return result.response.approved ? 'refunded' : `declined: ${result.response.note ?? ''}`
}
