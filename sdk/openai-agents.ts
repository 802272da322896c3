// `holdpoint/sdk/openai-agents`: tool approvals of an @openai/agents run, answered by people
// through Holdpoint. A run that stops on `needsApproval` tools is serialized, each pending
// approval becomes a checkpoint, and the process can exit. Holdpoint's resume webhook brings
// the answers back: once every approval of the run is decided, the state is restored, each
// call approved or rejected (the person's note is the rejection text the model reads), and
// the run continues.
import { RunState, type Agent, type RunResult, type RunToolApprovalItem } from '@openai/agents'
import { z } from 'zod'
import { createCheckpoint } from './checkpoints.js'
import { WebhookVerificationError } from './errors.js'
import { outcomeOf } from './resume-outcome.js'
import type { ConnectionOptions, ResumeTarget, Target } from './types.js'
import { verifyWebhook, type ResumeEvent, type WebhookHeaders } from './webhook.js'

/** What a reviewer answers for one tool call. */
export const ApprovalDecision = z.object({
  approved: z.boolean().describe('Let the agent make this call?'),
  note: z.string().max(2000).optional().describe('Told to the agent (as the reason, when declined)'),
})
export type ApprovalDecision = z.infer<typeof ApprovalDecision>

/** Where a paused run waits between the request and the answers; any durable key-value store. */
export interface RunStateStore {
  load(runId: string): Promise<string | undefined>
  save(runId: string, value: string): Promise<void>
}

interface PausedRun {
  state: string
  /** callId → checkpoint id, for every approval the run is waiting on. */
  pending: Record<string, string>
  decisions: Record<string, ApprovalDecision>
  /** Checkpoints of earlier rounds of this run, so a late duplicate delivery is recognised. */
  answered: string[]
}

export interface RequestApprovalsOptions extends ConnectionOptions {
  /** Stable id of this run: names the stored state and forms each checkpoint's idempotency key. */
  runId: string
  store: RunStateStore
  /** How Holdpoint reaches your `openAIAgentsResumeReceiver`: `{ webhook: { url } }`. */
  resume: ResumeTarget
  notify?: Target[]
  assignTo?: Target[]
  timeout?: string | number
  /** The question for one call. Default: "Allow the agent to call <tool>?". */
  task?: (item: RunToolApprovalItem) => string
}

// The stable id of a tool call; function calls carry `callId`, hosted tools only `id`.
function callIdOf(item: RunToolApprovalItem): string {
  const raw = item.rawItem as { callId?: string; id?: string }
  const id = raw.callId ?? raw.id
  if (id === undefined) throw new TypeError(`approval for ${item.name ?? 'a tool'} has no call id`)
  return id
}

function argumentsOf(item: RunToolApprovalItem): unknown {
  if (item.arguments === undefined) return null
  try {
    return JSON.parse(item.arguments) as unknown
  } catch {
    return item.arguments
  }
}

/** The parts of a `RunResult` (any context, any agent) that pausing needs. */
export interface PausedResult {
  interruptions: RunToolApprovalItem[]
  state: { toString(): string }
}

type AnyAgent = Agent<any, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- mirrors @openai/agents' own signatures

/**
 * Turns the run's approval interruptions into checkpoints and stores the serialized state
 * under `runId`. Returns the checkpoint ids (empty when the run did not stop for approval).
 */
export async function requestApprovals(result: PausedResult, options: RequestApprovalsOptions): Promise<string[]> {
  return pauseRun(result, options, [])
}

async function pauseRun(result: PausedResult, options: RequestApprovalsOptions, answered: string[]): Promise<string[]> {
  const items = result.interruptions.filter((i) => i.type === 'tool_approval_item')
  const { runId, store, task, resume, notify, assignTo, timeout, ...connection } = options
  const paused: PausedRun = { state: items.length === 0 ? '' : result.state.toString(), pending: {}, decisions: {}, answered }
  if (items.length === 0) {
    // Kept (small, no run state) so a re-delivered answer is acknowledged, not refused.
    if (answered.length > 0) await store.save(runId, JSON.stringify(paused))
    return []
  }
  // Saved first: a webhook may arrive as soon as the first checkpoint exists.
  await store.save(runId, JSON.stringify(paused))
  for (const item of items) {
    const callId = callIdOf(item)
    const checkpoint = await createCheckpoint({
      ...connection,
      task: task?.(item) ?? `Allow the agent to call ${item.name ?? 'a tool'}?`,
      payload: { tool: item.name ?? null, arguments: argumentsOf(item), agent: item.agent.name },
      responseSchema: ApprovalDecision,
      resume,
      idempotencyKey: `openai-agents:${runId}:${callId}`,
      metadata: { openaiAgents: { runId, callId } },
      ...(notify && { notify }),
      ...(assignTo && { assignTo }),
      ...(timeout !== undefined && { timeout }),
    })
    paused.pending[callId] = checkpoint.id
  }
  await store.save(runId, JSON.stringify(paused))
  return Object.values(paused.pending)
}

/** A person's answer, or a refusal when the checkpoint ended without one (expired, cancelled). */
function decisionOf(event: ResumeEvent): ApprovalDecision {
  try {
    return outcomeOf(event.data, ApprovalDecision).response
  } catch {
    return { approved: false, note: `Not approved: the request was ${event.data.state} without an answer.` }
  }
}

export interface OpenAIAgentsResumeReceiverOptions {
  agent: AnyAgent
  /** HOLDPOINT_WEBHOOK_SECRET, or the checkpoint's own `resume.webhook.secret`. */
  secret: string
  store: RunStateStore
  /** Continues the run: `(agent, state) => run(agent, state)` or a Runner's `run` with your provider. */
  run: (agent: AnyAgent, state: RunState<unknown, AnyAgent>) => Promise<RunResult<unknown, AnyAgent>>
  /** Options for the checkpoints of approvals the continued run asks for next. */
  next: Omit<RequestApprovalsOptions, 'runId' | 'store'>
  /** The run finished; `result.finalOutput` is the agent's answer. */
  onFinished?: (runId: string, result: RunResult<unknown, AnyAgent>) => void | Promise<void>
  onError?: (error: unknown, runId: string) => void
}

export interface ApprovalReceiverAnswer {
  status: number
  body: { outcome: 'continuing' | 'waiting-for-others' | 'duplicate' | 'unknown-run' | 'invalid-signature'; runId?: string }
}

export interface OpenAIAgentsResumeReceiver {
  handle(request: { headers: WebhookHeaders; body: string | Uint8Array }): Promise<ApprovalReceiverAnswer>
  /** Settles when no run is continuing in the background. */
  idle(): Promise<void>
}

/**
 * Handles Holdpoint's resume webhooks for paused runs: answers at once and continues the run
 * in the background. Decisions for one run are applied one at a time (per process), and a
 * repeated delivery of a decided call is acknowledged without effect.
 */
export function openAIAgentsResumeReceiver(options: OpenAIAgentsResumeReceiverOptions): OpenAIAgentsResumeReceiver {
  const chains = new Map<string, Promise<unknown>>()
  const background = new Set<Promise<void>>()

  // One run's deliveries are serialized: two answers arriving together must both be recorded.
  function serialized<T>(runId: string, work: () => Promise<T>): Promise<T> {
    const next = (chains.get(runId) ?? Promise.resolve()).then(work, work)
    chains.set(runId, next.catch(() => undefined))
    return next
  }

  async function resumeRun(runId: string, paused: PausedRun): Promise<void> {
    const state = await RunState.fromString(options.agent, paused.state)
    for (const item of state.getInterruptions()) {
      const decision = paused.decisions[callIdOf(item)]
      if (!decision) continue
      if (decision.approved) state.approve(item)
      else state.reject(item, decision.note === undefined ? {} : { message: decision.note })
    }
    const result = await options.run(options.agent, state)
    const answered = [...paused.answered, ...Object.values(paused.pending)]
    const asked = await pauseRun(result, { ...options.next, runId, store: options.store }, answered)
    if (asked.length === 0) await options.onFinished?.(runId, result)
  }

  async function record(event: ResumeEvent): Promise<ApprovalReceiverAnswer> {
    const link = event.data.metadata.openaiAgents as { runId?: unknown; callId?: unknown } | undefined
    const runId = typeof link?.runId === 'string' ? link.runId : undefined
    const callId = typeof link?.callId === 'string' ? link.callId : undefined
    if (!runId || !callId) return { status: 410, body: { outcome: 'unknown-run' } }
    return serialized(runId, async () => {
      const stored = await options.store.load(runId)
      const paused = stored === undefined ? undefined : (JSON.parse(stored) as PausedRun)
      const checkpointId = event.data.checkpointId
      if (paused?.answered.includes(checkpointId) || (paused?.pending[callId] === checkpointId && paused.decisions[callId])) {
        return { status: 200, body: { outcome: 'duplicate', runId } }
      }
      // 410 stops Holdpoint's retries: no stored run is waiting on this checkpoint.
      if (!paused || paused.pending[callId] !== checkpointId) return { status: 410, body: { outcome: 'unknown-run', runId } }
      paused.decisions[callId] = decisionOf(event)
      await options.store.save(runId, JSON.stringify(paused))
      const undecided = Object.keys(paused.pending).some((id) => !paused.decisions[id])
      if (undecided) return { status: 202, body: { outcome: 'waiting-for-others', runId } }
      const task = resumeRun(runId, paused).catch((error: unknown) => options.onError?.(error, runId))
      background.add(task)
      void task.finally(() => background.delete(task))
      return { status: 202, body: { outcome: 'continuing', runId } }
    })
  }

  return {
    async handle(request) {
      let event: ResumeEvent
      try {
        event = await verifyWebhook({ secret: options.secret, headers: request.headers, body: request.body })
      } catch (error) {
        if (error instanceof WebhookVerificationError) return { status: 401, body: { outcome: 'invalid-signature' } }
        throw error
      }
      return record(event)
    },
    async idle() {
      while (background.size > 0) await Promise.all(background)
    },
  }
}
