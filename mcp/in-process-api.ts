// The AgentApi inside a server process: the same validation and engine calls as the /v1
// handlers, with waits woken by the Redis change feed so an answer given through any
// process (or channel) ends the wait at once.
import type { ChangeFeed } from '../engine/change-feed.js'
import { toView, type CheckpointView } from '../engine/checkpoint-view.js'
import type { Engine } from '../engine/engine.js'
import { CheckpointNotFound, CommitContention, EventRefused, IdempotencyConflict } from '../engine/errors.js'
import { CHECKPOINT_ID_PATTERN } from '../engine/ids.js'
import { ValidationFailed } from '../engine/problems.js'
import { validateCreate, type Capabilities } from '../engine/validate-create.js'
import { isTerminal } from '../machine/types.js'
import { AgentApiError, problemText, type AgentApi, type CheckpointDoc, type CreateBody } from './agent-api.js'

export interface InProcessDeps {
  engine: Engine
  changes: ChangeFeed
  capabilities: Capabilities
  publicUrl: string
}

/** Same sentences as the HTTP problem+json the /v1 routes would have answered. */
function translate(error: unknown): unknown {
  if (error instanceof ValidationFailed) return new AgentApiError(422, problemText(422, { detail: error.message, errors: error.problems }))
  if (error instanceof CheckpointNotFound) return new AgentApiError(404, problemText(404, { detail: error.message }))
  if (error instanceof EventRefused || error instanceof IdempotencyConflict) return new AgentApiError(409, problemText(409, { detail: error.message }))
  if (error instanceof CommitContention) return new AgentApiError(503, problemText(503, { detail: error.message }))
  return error
}

async function mapped<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    throw translate(error)
  }
}

function knownId(id: string): string {
  if (!CHECKPOINT_ID_PATTERN.test(id)) throw new CheckpointNotFound(id)
  return id
}

/** `principal` is the agent token's name: the audit records it as creator and canceller. */
export function inProcessAgentApi(deps: InProcessDeps, principal: string): AgentApi {
  const { engine } = deps
  const view = (cp: Parameters<typeof toView>[0]): CheckpointView & CheckpointDoc => toView(cp, deps.publicUrl)
  const load = async (id: string) => {
    const cp = await engine.get(knownId(id))
    if (!cp) throw new CheckpointNotFound(id)
    return cp
  }

  return {
    create: (body: CreateBody, idempotencyKey?: string) =>
      mapped(async () => {
        const spec = await validateCreate(body, deps.capabilities)
        if (idempotencyKey !== undefined) spec.idempotencyKey = idempotencyKey
        const { checkpoint } = await engine.create(spec, principal)
        return view(checkpoint)
      }),

    get: (id) => mapped(async () => view(await load(id))),

    wait: (id, seconds, signal) =>
      mapped(async () => {
        knownId(id)
        // Listen before reading, so an answer committed between the read and the wait is not missed.
        let wake: () => void = () => undefined
        const woken = new Promise<void>((resolve) => (wake = resolve))
        const stop = deps.changes.watch(id, (change) => {
          if (isTerminal(change.state)) wake()
        })
        signal?.addEventListener('abort', wake, { once: true })
        let timer: NodeJS.Timeout | undefined
        try {
          const first = await load(id)
          if (isTerminal(first.state) || seconds <= 0 || signal?.aborted) return view(first)
          await Promise.race([woken, new Promise<void>((resolve) => (timer = setTimeout(resolve, seconds * 1000)))])
          return view(await load(id))
        } finally {
          stop()
          clearTimeout(timer)
          signal?.removeEventListener('abort', wake)
        }
      }),

    cancel: (id, reason) =>
      mapped(async () => {
        const updated = await engine.send(knownId(id), (now) => ({
          type: 'checkpoint.cancel',
          now,
          by: { channel: 'api', actor: principal, via: principal },
          ...(reason !== undefined && { reason }),
        }))
        return view(updated)
      }),
  }
}
