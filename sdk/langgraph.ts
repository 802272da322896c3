// `holdpoint/sdk/langgraph`: a LangGraph node asks a person and the graph pauses on
// `interrupt()`; Holdpoint's resume webhook (in-process graphs, `langgraphResumeReceiver`)
// or its `resume.langgraph` target (LangGraph Platform) resumes it with the answer.
import { Command, getConfig, interrupt } from '@langchain/langgraph'
import type { z } from 'zod'
import { createCheckpoint, type CreateCheckpointOptions } from './checkpoints.js'
import { WebhookVerificationError } from './errors.js'
import { interruptCheckpointId, type HoldpointInterrupt } from './langgraph-interrupt.js'
import { outcomeOf, type ResumeData } from './resume-outcome.js'
import type { ResumeTarget } from './types.js'
import { verifyWebhook, type ResumeEvent, type WebhookHeaders } from './webhook.js'

export { interruptCheckpointId, type HoldpointInterrupt } from './langgraph-interrupt.js'

export interface AskHumanInNodeOptions<S extends z.ZodType> extends Omit<CreateCheckpointOptions<S>, 'resume' | 'idempotencyKey' | 'signal'> {
  /**
   * How Holdpoint wakes the graph: `{ webhook: { url } }` pointing at a
   * `langgraphResumeReceiver` for in-process graphs, or `{ langgraph: {…} }` on the Platform.
   */
  resume: ResumeTarget
}

/** Where the question sits in the run; stored in the checkpoint's metadata for the receiver. */
export interface NodePosition {
  threadId: string
  node: string
  step: number
  /** Which `interrupt()` of this node execution (0 for the first). */
  index: number
}

// The index of the next interrupt() in this node execution. LangGraph counts them in the
// run's scratchpad (that is how it matches resume values to calls); reading the same counter
// keeps our key in step with LangGraph's own matching across re-executions.
function nextInterruptIndex(configurable: Record<string, unknown>): number {
  const scratchpad = configurable.__pregel_scratchpad as { interruptCounter?: unknown } | undefined
  const counter = scratchpad?.interruptCounter
  return typeof counter === 'number' ? counter + 1 : 0
}

export function nodePosition(): NodePosition {
  const config = getConfig()
  const configurable: Record<string, unknown> = config.configurable ?? {}
  const threadId = configurable.thread_id
  if (typeof threadId !== 'string' && typeof threadId !== 'number') {
    throw new TypeError('askHumanInNode needs a thread: invoke the graph with { configurable: { thread_id } } and a checkpointer')
  }
  const metadata: Record<string, unknown> = config.metadata ?? {}
  return {
    threadId: String(threadId),
    node: typeof metadata.langgraph_node === 'string' ? metadata.langgraph_node : 'node',
    step: Number(metadata.langgraph_step ?? 0),
    index: nextInterruptIndex(configurable),
  }
}

/**
 * The idempotency key of one question: thread + node + step + interrupt index. A node
 * re-executed after its resume recreates the same key (Holdpoint replays the checkpoint, no
 * one is asked twice); two threads, or one node visited again in a later step, never share.
 */
export const questionKey = (p: NodePosition) => `langgraph:${p.threadId}:${p.node}:${p.step}:${p.index}`

function isResumeEvent(value: unknown): value is ResumeEvent {
  return typeof value === 'object' && value !== null && 'data' in value && typeof (value as ResumeEvent).data?.checkpointId === 'string'
}

/**
 * Call inside a node: creates the checkpoint (idempotently), pauses the graph on
 * `interrupt()`, and once resumed returns the answer parsed by `responseSchema`, or throws
 * CheckpointTimeoutError / CheckpointCancelledError / CheckpointRejectedError. Like any code
 * before an `interrupt()`, the request must be the same on every execution of the node.
 */
export async function askHumanInNode<S extends z.ZodType>(options: AskHumanInNodeOptions<S>): Promise<z.output<S>> {
  const position = nodePosition()
  const checkpoint = await createCheckpoint({
    ...options,
    idempotencyKey: questionKey(position),
    metadata: { ...options.metadata, langgraph: position },
  })
  const value: HoldpointInterrupt = { holdpointCheckpointId: checkpoint.id, task: options.task, link: checkpoint.links.dashboard }
  const resumed: unknown = interrupt(value)
  // A resume from LangGraph Studio or by hand may carry the bare answer instead of an event.
  const data: ResumeData = isResumeEvent(resumed)
    ? resumed.data
    : { checkpointId: checkpoint.id, state: 'resolved', response: resumed, respondedBy: null }
  return outcomeOf(data, options.responseSchema).response
}

// ---------------------------------------------------------------------------------------
// The receiving side, for graphs that run in your own process.

interface InterruptLike {
  id?: string
  value?: unknown
}
interface SnapshotLike {
  tasks: ReadonlyArray<{ interrupts?: ReadonlyArray<InterruptLike> }>
}
type ThreadConfig = { configurable: { thread_id: string } }

/** The parts of a compiled LangGraph graph the receiver uses; `StateGraph#compile()` fits. */
export interface ResumableGraph {
  // `never` update and goto: a resume-only Command fits every graph's own Command type.
  invoke(input: Command<unknown, never, never>, config: ThreadConfig): Promise<unknown>
  getState(config: ThreadConfig): Promise<SnapshotLike>
  getStateHistory(config: ThreadConfig, options?: { limit?: number }): AsyncIterable<SnapshotLike>
}

export interface LangGraphResumeReceiverOptions {
  graph: ResumableGraph
  /** HOLDPOINT_WEBHOOK_SECRET, or the checkpoint's own `resume.webhook.secret`. */
  secret: string
  /** A background resume failed; Holdpoint has its 202 and will not retry, so report it here. */
  onError?: (error: unknown, event: ResumeEvent) => void
  /** How many past checkpoints of the thread to search for an already-answered interrupt. Default 100. */
  historyLimit?: number
}

export interface ReceiverAnswer {
  status: number
  body: { outcome: 'resuming' | 'already-resumed' | 'not-interrupted-yet' | 'invalid-signature' | 'no-thread'; checkpointId?: string }
}

export interface LangGraphResumeReceiver {
  /** Handles one resume webhook; answer the HTTP request with the returned status and body. */
  handle(request: { headers: WebhookHeaders; body: string | Uint8Array }): Promise<ReceiverAnswer>
  /** Settles when no resume is running in the background (tests, graceful shutdown). */
  idle(): Promise<void>
}

function findInterrupt(snapshot: SnapshotLike, checkpointId: string): InterruptLike | undefined {
  return snapshot.tasks.flatMap((t) => t.interrupts ?? []).find((i) => interruptCheckpointId(i.value) === checkpointId)
}

/**
 * Verifies Holdpoint's resume webhook and resumes the graph thread it names with
 * `graph.invoke(new Command({ resume }), { configurable: { thread_id } })`. It answers at
 * once (202) and resumes in the background, so a slow graph never makes Holdpoint time out
 * and deliver again. Deliveries are deduplicated on the graph's own state: one that finds
 * the interrupt already answered gets 200 without touching the graph, and one that arrives
 * before the interrupt is saved gets 409, which Holdpoint retries with backoff.
 */
export function langgraphResumeReceiver(options: LangGraphResumeReceiverOptions): LangGraphResumeReceiver {
  const running = new Map<string, Promise<void>>()
  const historyLimit = options.historyLimit ?? 100

  async function alreadyAnswered(config: ThreadConfig, checkpointId: string): Promise<boolean> {
    for await (const snapshot of options.graph.getStateHistory(config, { limit: historyLimit })) {
      if (findInterrupt(snapshot, checkpointId)) return true
    }
    return false
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
      const checkpointId = event.data.checkpointId
      const threadId = (event.data.metadata.langgraph as Partial<NodePosition> | undefined)?.threadId
      // 410 tells Holdpoint to stop: a checkpoint not asked from a node can never resume one.
      if (typeof threadId !== 'string') return { status: 410, body: { outcome: 'no-thread', checkpointId } }
      if (running.has(checkpointId)) return { status: 202, body: { outcome: 'resuming', checkpointId } }
      // Claimed before the first await, so a concurrent duplicate cannot also pass the check.
      let release!: () => void
      running.set(checkpointId, new Promise<void>((resolve) => (release = resolve)))
      const config: ThreadConfig = { configurable: { thread_id: threadId } }
      try {
        const pending = findInterrupt(await options.graph.getState(config), checkpointId)
        if (!pending) {
          running.delete(checkpointId)
          return (await alreadyAnswered(config, checkpointId))
            ? { status: 200, body: { outcome: 'already-resumed', checkpointId } }
            : { status: 409, body: { outcome: 'not-interrupted-yet', checkpointId } }
        }
        // Addressed by interrupt id, so a thread paused in parallel nodes resumes the right one.
        const resume = pending.id ? { [pending.id]: event } : event
        const run = options.graph.invoke(new Command<unknown, never, never>({ resume }), config).then(
          () => undefined,
          (error: unknown) => options.onError?.(error, event),
        )
        running.set(
          checkpointId,
          run.finally(() => running.delete(checkpointId)),
        )
        return { status: 202, body: { outcome: 'resuming', checkpointId } }
      } catch (error) {
        running.delete(checkpointId)
        throw error
      } finally {
        release()
      }
    },
    async idle() {
      while (running.size > 0) await Promise.all(running.values())
    },
  }
}
