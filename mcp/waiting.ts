// Waiting for a person inside one tool call: long waits in slices the agent API allows,
// with a heartbeat for clients that asked for progress (it also keeps proxies and client
// request timeouts from cutting a quiet stream).
import { isFinished, type AgentApi, type CheckpointDoc } from './agent-api.js'

/** The longest single wait the tools ask for: under the common 60 s proxy and client idle limits. */
export const MAX_SLICE_SECONDS = 55
// A wait that comes back unfinished at once (a server shutting down) must not become a spin.
const MIN_SLICE_MS = 250

export interface Heartbeat {
  everyMs: number
  beat: (elapsedSeconds: number) => Promise<void>
}

export interface WaitPlan {
  /** Stop waiting at this instant (ms since epoch) even if nobody answered. */
  until: number
  heartbeat?: Heartbeat
  signal?: AbortSignal
}

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Waits until the checkpoint finishes or the plan's deadline passes; returns its last state. */
export async function waitForAnswer(api: AgentApi, id: string, plan: WaitPlan): Promise<CheckpointDoc> {
  const started = Date.now()
  let timer: NodeJS.Timeout | undefined
  if (plan.heartbeat) {
    const { beat, everyMs } = plan.heartbeat
    // A lost progress notification is harmless; it must never fail the wait.
    timer = setInterval(() => void beat(Math.round((Date.now() - started) / 100) / 10).catch(() => undefined), everyMs)
  }
  try {
    for (;;) {
      const sliceStarted = Date.now()
      const seconds = Math.min(MAX_SLICE_SECONDS, Math.max(0, (plan.until - sliceStarted) / 1000))
      const doc = await api.wait(id, seconds, plan.signal)
      if (isFinished(doc.state) || Date.now() >= plan.until || plan.signal?.aborted) return doc
      const quick = MIN_SLICE_MS - (Date.now() - sliceStarted)
      if (quick > 0) await pause(quick)
    }
  } finally {
    clearInterval(timer)
  }
}
