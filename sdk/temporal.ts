// `holdpoint/sdk/temporal`: the workflow side of `resume.temporal`. Holdpoint signals the
// workflow (signal `holdpoint.resolved` by default) with the resume event; the workflow
// waits on a `condition` with a timeout. Temporal buffers a signal that arrives before its
// handler is set, so an answer that beats the wait is not lost.
//
// Workflow code runs in Temporal's deterministic sandbox, so this module imports nothing at
// runtime (no fetch, no Node built-ins) and takes `condition` from @temporalio/workflow as
// an argument. Create the checkpoint in an activity with `holdpoint/sdk`'s createCheckpoint.
import type { z } from 'zod'
import type { ResumeEvent } from './webhook.js'

export const HOLDPOINT_TEMPORAL_SIGNAL = 'holdpoint.resolved'

/** How a wait ended. Workflows branch on it: throwing a plain Error would only retry the task. */
export type TemporalOutcome<T> =
  | { outcome: 'answered'; response: T; event: ResumeEvent }
  | { outcome: 'expired' | 'cancelled' | 'rejected'; event: ResumeEvent }
  /** The answer does not satisfy the workflow's schema (it changed since the question was asked). */
  | { outcome: 'invalid'; issues: z.core.$ZodIssue[]; event: ResumeEvent }
  /** The workflow's own timeout passed before any signal. */
  | { outcome: 'timed-out' }

export interface WaitInWorkflowOptions<S extends z.ZodType, D> {
  /** The checkpoint to wait for; without it, the first resume signal of any checkpoint. */
  checkpointId?: string
  /** How long to wait (a Temporal Duration: `'1 day'`, milliseconds). */
  timeout: D
  responseSchema: S
}

/**
 * Collects resume signals. In the workflow:
 * `setHandler(defineSignal<[ResumeEvent]>(HOLDPOINT_TEMPORAL_SIGNAL), inbox.receive)` once,
 * then `await inbox.wait(condition, { checkpointId, timeout, responseSchema })`.
 */
export class HoldpointInbox {
  private readonly events = new Map<string, ResumeEvent>()
  private latest: ResumeEvent | undefined

  /** The signal handler; bound, so it can be passed to `setHandler` as is. */
  readonly receive = (event: ResumeEvent): void => {
    // Signals are at-least-once; the first event for a checkpoint is the one that counts.
    if (!this.events.has(event.data.checkpointId)) this.events.set(event.data.checkpointId, event)
    this.latest ??= event
  }

  private find(checkpointId: string | undefined): ResumeEvent | undefined {
    return checkpointId === undefined ? this.latest : this.events.get(checkpointId)
  }

  async wait<S extends z.ZodType, D>(
    condition: (fn: () => boolean, timeout: D) => Promise<boolean>,
    options: WaitInWorkflowOptions<S, D>,
  ): Promise<TemporalOutcome<z.output<S>>> {
    const arrived = await condition(() => this.find(options.checkpointId) !== undefined, options.timeout)
    const event = this.find(options.checkpointId)
    if (!arrived || !event) return { outcome: 'timed-out' }
    const { state, response } = event.data
    if (state === 'cancelled' || state === 'rejected') return { outcome: state, event }
    // An expiry with the agent's `onTimeout` default carries an answer: it counts as one.
    if (state === 'expired' && (response === null || response === undefined)) return { outcome: 'expired', event }
    const parsed = options.responseSchema.safeParse(response)
    return parsed.success ? { outcome: 'answered', response: parsed.data, event } : { outcome: 'invalid', issues: parsed.error.issues, event }
  }
}
