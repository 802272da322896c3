// `holdpoint/sdk/inngest`: ask a person from inside an Inngest function and sleep, without
// polling, until Holdpoint's `resume.inngest` event wakes the run.
//
// The race: Inngest matches `step.waitForEvent` only against events that arrive after the
// wait is registered, and the wait is registered one executor round-trip after the create
// step. A person (or an `onTimeout` default) that answers inside that gap sends an event no
// wait sees. So each wait has a window; when a window ends without the event, one step reads
// the checkpoint and returns its outcome if it has one. The first window is short (a minute)
// because that is where the race lives; later ones grow, so a long wait costs a handful of
// steps, not a poll loop.
import type { z } from 'zod'
import { createCheckpoint, getCheckpoint, type CreateCheckpointOptions } from './checkpoints.js'
import { outcomeOf, type ResumeData } from './resume-outcome.js'
import { isTerminalState, type Checkpoint, type ConnectionOptions } from './types.js'
import { settle } from './wait.js'

/** The one event name the helper asks Holdpoint to send for every outcome (`data.state` tells which). */
export const HOLDPOINT_INNGEST_EVENT = 'holdpoint/checkpoint.finished'

/** Wait windows: the first catches the race soon, the rest keep a long wait to a few steps. */
export const DEFAULT_WINDOWS = ['1m', '10m', '1h', '6h', '24h'] as const

// Inngest allows 1000 steps per function; 24 h windows reach the 90-day checkpoint limit in ~95.
const MAX_ROUNDS = 200

/** The parts of Inngest's `step` tools the helper uses; the real `step` from a handler fits. */
export interface InngestStep {
  run<T>(id: string, fn: () => Promise<T>): Promise<unknown>
  waitForEvent(id: string, opts: { event: string; timeout: string; if: string }): Promise<{ data: Record<string, unknown> } | null>
}

export interface AskInStepOptions<S extends z.ZodType> extends Omit<CreateCheckpointOptions<S>, 'resume' | 'signal'> {
  /** Prefix of the step ids; distinct per question when a function asks more than once. Default `holdpoint`. */
  id?: string
  /** The run id (`runId` from the handler context): with `id` it forms the idempotency key. */
  runId: string
  /** The event name Holdpoint sends; one Holdpoint server's INNGEST config must reach this app. */
  event?: string
  /** Wait windows (Inngest time strings); the last one repeats. Default {@link DEFAULT_WINDOWS}. */
  windows?: readonly string[]
}

function connectionOf(options: ConnectionOptions): ConnectionOptions {
  const { url, token, fetch, unavailableAfterMs } = options
  return { ...(url !== undefined && { url }), ...(token !== undefined && { token }), ...(fetch && { fetch }), ...(unavailableAfterMs !== undefined && { unavailableAfterMs }) }
}

/**
 * Creates the checkpoint in a step (memoized, and idempotent under `inngest:<runId>:<id>`
 * should the step itself be retried), then waits for its resume event. Resolves with the
 * answer parsed by `responseSchema`; throws CheckpointTimeoutError, CheckpointCancelledError
 * or CheckpointRejectedError for the other outcomes, as `awaitHuman` does.
 */
export async function askInStep<S extends z.ZodType>(step: InngestStep, options: AskInStepOptions<S>): Promise<z.output<S>> {
  const { id = 'holdpoint', runId, event = HOLDPOINT_INNGEST_EVENT, windows = DEFAULT_WINDOWS, ...request } = options
  const connection = connectionOf(request)
  const created = (await step.run(`${id}.create`, () =>
    createCheckpoint({ ...request, idempotencyKey: request.idempotencyKey ?? `inngest:${runId}:${id}`, resume: { inngest: { event } } }),
  )) as Checkpoint
  if (isTerminalState(created.state)) return settle(created, request.responseSchema).response

  const match = `async.data.checkpointId == ${JSON.stringify(created.id)}`
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const timeout = windows[Math.min(round, windows.length - 1)] ?? '1h'
    const received = await step.waitForEvent(`${id}.wait.${round}`, { event, timeout, if: match })
    if (received) return outcomeOf(received.data as ResumeData, request.responseSchema).response
    const current = (await step.run(`${id}.check.${round}`, () => getCheckpoint(created.id, connection))) as Checkpoint
    if (isTerminalState(current.state)) return settle(current, request.responseSchema).response
  }
  throw new Error(`Checkpoint ${created.id} was still open after ${MAX_ROUNDS} wait windows`)
}
