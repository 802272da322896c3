import { Client } from '@langchain/langgraph-sdk'
import { guardedFetch, httpStatusLine, RedirectRefused, shortReason, type OutboundGuard } from '../engine/outbound.js'
import { PrivateDestinationError } from '../engine/webhook-address.js'
import { interruptCheckpointId } from '../sdk/langgraph-interrupt.js'
import { ResumeRejected, type ResumeTarget } from '../plugins/resume-target.js'

const TIMEOUT_MS = 10_000

const statusOf = (error: unknown) => (typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined)

class ThreadBusy extends Error {}

/** The SDK's HTTPError keeps the Response (for its statusText); its message holds the body. */
const statusTextOf = (error: unknown) => {
  const response = typeof error === 'object' && error !== null && 'response' in error ? (error as { response?: { statusText?: unknown } }).response : undefined
  return typeof response?.statusText === 'string' ? response.statusText : undefined
}

/**
 * `resume.langgraph`: resumes a LangGraph Platform thread with `runs.create` and
 * `command: { resume: <resume event> }`. Runs have no idempotency key, so the thread's
 * state stands in for one: a busy thread is retried later (our own earlier run may still be
 * going), and a thread whose pending interrupts are all for other checkpoints has already
 * taken this resume, so a retry or re-drive reports success instead of resuming twice.
 *
 * The API key travels as `x-api-key`, which fetch would carry across a redirect: the client
 * gets a fetch that never follows one to another origin, and that checks every address it
 * connects to with the SSRF guard (unless private destinations are allowed). Errors say the
 * status, never what the server wrote back.
 */
export function langgraphTarget(fetchImpl?: typeof fetch, guard: OutboundGuard = { allowPrivate: false }): ResumeTarget {
  const send = guardedFetch({ guard, ...(fetchImpl && { fetch: fetchImpl }) })
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
        callerOptions: { maxRetries: 0, fetch: send },
        timeoutMs: TIMEOUT_MS,
      })
      const checkpointId = event.data.checkpointId
      try {
        const thread = await client.threads.get(threadId)
        if (thread.status === 'busy') throw new ThreadBusy('the thread is busy; retrying once its run ends')
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
        // The run id comes from the server the agent named: kept short and printable for the audit.
        return { detail: { threadId, runId: shortReason(String(run.run_id), 100) } }
      } catch (error) {
        if (error instanceof PrivateDestinationError) throw new ResumeRejected(error.message, { threadId, refused: 'private-destination' })
        if (error instanceof RedirectRefused) throw new ResumeRejected(`the LangGraph API ${error.message}`, { threadId, status: error.status, refused: 'redirect' })
        const status = statusOf(error)
        const detail = { threadId, ...(status !== undefined && { status }) }
        if (status === 404) throw new ResumeRejected(`LangGraph thread ${threadId} was not found`, detail)
        // Said plainly, and without the original: an auth failure must not echo anything key-like.
        // eslint-disable-next-line preserve-caught-error
        if (status === 401 || status === 403) throw new Error(`LangGraph refused the API key (${status})`)
        // The SDK's message quotes the response body; the audit and logs get the status line only.
        // eslint-disable-next-line preserve-caught-error
        if (status !== undefined && Number.isFinite(status)) throw new Error(`the LangGraph API answered ${httpStatusLine(status, statusTextOf(error))}`)
        if (error instanceof ThreadBusy) throw error
        // Only the error's kind: a parse error's message would quote the body it choked on.
        // eslint-disable-next-line preserve-caught-error
        throw new Error(`the LangGraph API call failed (${shortReason(error instanceof Error ? error.name : typeof error, 40)})`)
      }
    },
  }
}
