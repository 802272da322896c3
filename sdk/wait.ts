// Waiting for a person: long-poll until the checkpoint is terminal, turn the outcome into a
// typed answer or a typed error. Outages in between are ridden out by the retry policy with
// the same checkpoint id, so a server restart mid-wait is invisible to the agent.
import type { z } from 'zod'
import { checkpointPath } from './checkpoints.js'
import {
  CheckpointCancelledError,
  CheckpointRejectedError,
  CheckpointResponseInvalidError,
  CheckpointTimeoutError,
} from './errors.js'
import { failureFor, openTransport, send, type Transport } from './http.js'
import { sleep } from './retry.js'
import { isTerminalState, type Checkpoint, type ConnectionOptions, type RespondedBy } from './types.js'
import { readCheckpoint } from './wire.js'

/** Seconds the server holds each long-poll; below typical proxy idle timeouts (30–60 s). */
export const DEFAULT_WAIT_SECONDS = 25
// Slack on top of the server's hold before the client gives up on one poll as hung.
const POLL_GRACE_MS = 15_000
// Floor between polls that come back unfinished, so a server that answers at once cannot
// turn the loop into a busy spin.
const MIN_POLL_INTERVAL_MS = 1_000

export interface WaitOptions<S extends z.ZodType> extends ConnectionOptions {
  responseSchema: S
  /** How long the server holds each poll (`?timeoutSeconds=`). Default 25. */
  waitSeconds?: number
}

export interface WaitResult<T> {
  /** The answer, parsed by `responseSchema`. */
  response: T
  respondedBy: RespondedBy | null
  checkpoint: Checkpoint
}

/** Maps a terminal checkpoint to its answer, or to the error that says why there is none. */
export function settle<S extends z.ZodType>(checkpoint: Checkpoint, responseSchema: S): WaitResult<z.output<S>> {
  switch (checkpoint.state) {
    case 'resolved':
      return parsed(checkpoint, responseSchema)
    case 'expired':
      // An `onTimeout.response` is the answer the agent asked to get when nobody replies.
      if (checkpoint.response !== null && checkpoint.response !== undefined) return parsed(checkpoint, responseSchema)
      throw new CheckpointTimeoutError(checkpoint)
    case 'cancelled':
      throw new CheckpointCancelledError(checkpoint)
    case 'rejected':
      throw new CheckpointRejectedError(checkpoint)
    default:
      throw new TypeError(`settle() called with non-terminal state ${checkpoint.state}`)
  }
}

function parsed<S extends z.ZodType>(checkpoint: Checkpoint, responseSchema: S): WaitResult<z.output<S>> {
  const result = responseSchema.safeParse(checkpoint.response)
  if (!result.success) throw new CheckpointResponseInvalidError(checkpoint, result.error.issues)
  return { response: result.data, respondedBy: checkpoint.respondedBy, checkpoint }
}

export async function waitWith<S extends z.ZodType>(
  transport: Transport,
  id: string,
  responseSchema: S,
  waitSeconds = DEFAULT_WAIT_SECONDS,
): Promise<WaitResult<z.output<S>>> {
  if (!(Number.isInteger(waitSeconds) && waitSeconds > 0)) throw new RangeError('waitSeconds must be a whole number > 0')
  const path = checkpointPath(id, `/wait?timeoutSeconds=${waitSeconds}`)
  for (;;) {
    const startedAt = Date.now()
    const answer = await send(transport, { method: 'GET', path, timeoutMs: waitSeconds * 1000 + POLL_GRACE_MS }, id)
    if (answer.status !== 200) throw failureFor(answer, `Waiting for checkpoint ${id}`, id)
    const checkpoint = readCheckpoint(answer.body, `GET ${path}`)
    if (isTerminalState(checkpoint.state)) return settle(checkpoint, responseSchema)
    const early = MIN_POLL_INTERVAL_MS - (Date.now() - startedAt)
    if (early > 0) await sleep(early, transport.signal)
  }
}

/**
 * Waits until checkpoint `id` finishes and returns its typed answer. Throws
 * CheckpointTimeoutError, CheckpointCancelledError, CheckpointRejectedError or
 * CheckpointResponseInvalidError when it finished without a usable answer.
 */
export async function waitForCheckpoint<S extends z.ZodType>(
  id: string,
  options: WaitOptions<S>,
): Promise<WaitResult<z.output<S>>> {
  return waitWith(await openTransport(options), id, options.responseSchema, options.waitSeconds)
}
