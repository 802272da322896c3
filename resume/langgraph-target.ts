import { Client } from '@langchain/langgraph-sdk'
import { interruptCheckpointId } from '../sdk/langgraph-interrupt.js'
import { ResumeRejected, type ResumeTarget } from '../plugins/resume-target.js'

const TIMEOUT_MS = 10_000

const statusOf = (error: unknown) => (typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined)

/**
 * `resume.langgraph`: resumes a LangGraph Platform thread with `runs.create` and
 * `command: { resume: <resume event> }`. Runs have no idempotency key, so the thread's
 * state stands in for one: a busy thread is retried later (our own earlier run may still be
 * going), and a thread whose pending interrupts are all for other checkpoints has already
 * taken this resume, so a retry or re-drive reports success instead of resuming twice.
 */
export function langgraphTarget(fetchImpl?: typeof fetch): ResumeTarget {
  return {
    name: 'langgraph',
    async resume(event, spec, { messageId }) {
      if (!('langgraph' in spec)) throw new Error('langgraphTarget called for another target')
      const { apiUrl, threadId, assistantId, apiKey } = spec.langgraph
      const client = new Client({
        apiUrl,
        // null: never pick up a LANGSMITH key from Holdpoint's own environment.
        apiKey: apiKey ?? null,
        // Holdpoint's resume queue owns the retries and their backoff.
        callerOptions: { maxRetries: 0, ...(fetchImpl && { fetch: fetchImpl }) },
        timeoutMs: TIMEOUT_MS,
      })
      const checkpointId = event.data.checkpointId
      try {
        const thread = await client.threads.get(threadId)
        if (thread.status === 'busy') throw new Error('the thread is busy; retrying once its run ends')
        const pending = Object.values(thread.interrupts ?? {}).flat()
        const tagged = pending.map((i) => interruptCheckpointId(i.value))
        const ours = tagged.includes(checkpointId)
        // An interrupt raised without the Holdpoint helper carries no id; it is the one to resume.
        const untagged = pending.length > 0 && tagged.every((id) => id === undefined)
        if (!ours && !untagged) return { detail: { threadId, alreadyResumed: true } }
        const run = await client.runs.create(threadId, assistantId, {
          command: { resume: event },
          multitaskStrategy: 'reject',
          metadata: { holdpointCheckpointId: checkpointId, holdpointMessageId: messageId },
        })
        return { detail: { threadId, runId: run.run_id } }
      } catch (error) {
        const status = statusOf(error)
        const detail = { threadId, ...(status !== undefined && { status }) }
        if (status === 404) throw new ResumeRejected(`LangGraph thread ${threadId} was not found`, detail)
        // Said plainly, and without the original: an auth failure must not echo anything key-like.
        // eslint-disable-next-line preserve-caught-error
        if (status === 401 || status === 403) throw new Error(`LangGraph refused the API key (${status})`)
        throw error
      }
    },
  }
}
