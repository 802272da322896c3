// The one call most agents need: ask, block until a person answers, get a typed value.
import type { z } from 'zod'
import { createWith } from './checkpoints.js'
import { openTransport } from './http.js'
import type { Checkpoint, CheckpointRequest } from './types.js'
import { waitWith } from './wait.js'

export interface AwaitHumanOptions<S extends z.ZodType> extends CheckpointRequest<S> {
  /** Called once the checkpoint exists, before waiting: the place to log or show `links.dashboard`. */
  onCreated?: (checkpoint: Checkpoint) => void | Promise<void>
  /** How long the server holds each long-poll. Default 25 s. */
  waitSeconds?: number
}

/**
 * Asks a person `task` and resolves with their answer parsed by `responseSchema`.
 *
 * Survives server restarts and outages shorter than `unavailableAfterMs` (the create is
 * retried under one idempotency key, the wait resumes on the same checkpoint). Throws a
 * HoldpointError subclass for every other outcome; aborting `signal` rejects with its reason.
 */
export async function awaitHuman<S extends z.ZodType>(options: AwaitHumanOptions<S>): Promise<z.output<S>> {
  const transport = await openTransport(options)
  const checkpoint = await createWith(transport, options)
  await options.onCreated?.(checkpoint)
  const { response } = await waitWith(transport, checkpoint.id, options.responseSchema, options.waitSeconds)
  return response
}
