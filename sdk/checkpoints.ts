// The checkpoint resource: create, read and cancel. Waiting lives in wait.ts because it is
// a loop with its own rules, not a single request.
import type { z } from 'zod'
import { toTimeoutSeconds } from './duration.js'
import { CheckpointConflictError, CheckpointValidationError, IdempotencyConflictError } from './errors.js'
import { failureFor, openTransport, problemOf, send, type Transport } from './http.js'
import { assertMatches, toJsonSchema } from './schema.js'
import type { Checkpoint, CheckpointRequest, ConnectionOptions, CreateCheckpointBody, ResumeTarget } from './types.js'
import { readCheckpoint } from './wire.js'

/** Per-attempt deadline of the short requests (create, get, cancel). */
const REQUEST_TIMEOUT_MS = 30_000

export interface CreateCheckpointOptions<S extends z.ZodType = z.ZodType> extends CheckpointRequest<S> {
  /** Where Holdpoint resumes the agent (webhook, Inngest, LangGraph, queue); absent: the agent polls. */
  resume?: ResumeTarget
}

export function checkpointPath(id: string, suffix = ''): string {
  return `/v1/checkpoints/${encodeURIComponent(id)}${suffix}`
}

/** Builds the create body, failing locally on anything the server would refuse for sure. */
export function buildCreateBody(options: CreateCheckpointOptions): CreateCheckpointBody {
  if (typeof options.task !== 'string' || options.task.trim() === '') {
    throw new CheckpointValidationError('`task` must be a non-empty string', [{ path: '/task', message: 'must be a non-empty string' }])
  }
  if (options.idempotencyKey !== undefined && options.idempotencyKey.trim() === '') {
    throw new CheckpointValidationError('`idempotencyKey` must not be empty', [{ path: '/idempotencyKey', message: 'must not be empty' }])
  }
  if (options.payloadSchema !== undefined && options.payload !== undefined) {
    assertMatches(options.payloadSchema, options.payload, '/payload', 'payload')
  }
  if (options.onTimeout !== undefined) {
    assertMatches(options.responseSchema, options.onTimeout.response, '/onTimeout/response', 'onTimeout.response')
  }
  const body: CreateCheckpointBody = {
    task: options.task,
    responseSchema: toJsonSchema(options.responseSchema, 'responseSchema'),
  }
  if (options.payload !== undefined) body.payload = options.payload
  if (options.payloadSchema !== undefined) body.payloadSchema = toJsonSchema(options.payloadSchema, 'payloadSchema')
  if (options.timeout !== undefined) body.timeoutSeconds = toTimeoutSeconds(options.timeout)
  if (options.notify !== undefined) body.notify = options.notify
  if (options.assignTo !== undefined) body.assignTo = options.assignTo
  if (options.onTimeout !== undefined) body.onTimeout = options.onTimeout
  if (options.escalation !== undefined) body.escalation = options.escalation
  if (options.reminders !== undefined) body.reminders = options.reminders
  if (options.quorum !== undefined) body.quorum = options.quorum
  if (options.verify !== undefined) body.verify = options.verify
  if (options.pick !== undefined) body.pick = options.pick
  if (options.redact !== undefined) body.redact = options.redact
  if (options.remember !== undefined) body.remember = options.remember
  if (options.batch !== undefined) body.batch = options.batch
  if (options.resume !== undefined) body.resume = options.resume
  if (options.metadata !== undefined) body.metadata = options.metadata
  return body
}

export function newIdempotencyKey(): string {
  const crypto = globalThis.crypto
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  // randomUUID needs a secure context in browsers; getRandomValues does not.
  const bytes = crypto.getRandomValues(new Uint8Array(16))
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

/** Create with an already-open transport; awaitHuman shares one transport for create and wait. */
export async function createWith(transport: Transport, options: CreateCheckpointOptions): Promise<Checkpoint> {
  const body = buildCreateBody(options)
  // Fixed before the first attempt: every retry must carry the same key for the server to
  // recognise it and replay the original checkpoint instead of creating a second one.
  const idempotencyKey = options.idempotencyKey ?? newIdempotencyKey()
  const answer = await send(transport, {
    method: 'POST',
    path: '/v1/checkpoints',
    body,
    headers: { 'idempotency-key': idempotencyKey },
    timeoutMs: REQUEST_TIMEOUT_MS,
  })
  if (answer.status === 201 || answer.status === 200) return readCheckpoint(answer.body, 'POST /v1/checkpoints')
  if (answer.status === 409) {
    throw new IdempotencyConflictError(idempotencyKey, { status: 409, problem: problemOf(answer) })
  }
  throw failureFor(answer, 'Creating the checkpoint')
}

/**
 * Creates a checkpoint and returns it at once, for durable flows that resume through
 * `resume` (webhook, Inngest, LangGraph, queue) rather than by waiting in-process.
 */
export async function createCheckpoint<S extends z.ZodType>(options: CreateCheckpointOptions<S>): Promise<Checkpoint> {
  return createWith(await openTransport(options), options)
}

export async function getWith(transport: Transport, id: string): Promise<Checkpoint> {
  const path = checkpointPath(id)
  const answer = await send(transport, { method: 'GET', path, timeoutMs: REQUEST_TIMEOUT_MS }, id)
  if (answer.status === 200) return readCheckpoint(answer.body, `GET ${path}`)
  throw failureFor(answer, `Reading checkpoint ${id}`, id)
}

export async function getCheckpoint(id: string, options: ConnectionOptions = {}): Promise<Checkpoint> {
  return getWith(await openTransport(options), id)
}

/** Cancels a checkpoint; `CheckpointConflictError` if it had already finished. */
export async function cancelCheckpoint(id: string, options: ConnectionOptions = {}): Promise<Checkpoint> {
  const transport = await openTransport(options)
  const path = checkpointPath(id, '/cancel')
  let attempts = 0
  const counting: Transport = {
    ...transport,
    fetch: (input, init) => {
      attempts++
      return transport.fetch(input, init)
    },
  }
  const answer = await send(counting, { method: 'POST', path, timeoutMs: REQUEST_TIMEOUT_MS }, id)
  if (answer.status === 200) return readCheckpoint(answer.body, `POST ${path}`)
  if (answer.status === 409) {
    // After a lost answer, a 409 may be our own earlier attempt having succeeded.
    if (attempts > 1) {
      const current = await getWith(transport, id)
      if (current.state === 'cancelled') return current
    }
    throw new CheckpointConflictError(`Checkpoint ${id} cannot be cancelled: it has already finished`, {
      checkpointId: id,
      status: 409,
      problem: problemOf(answer),
    })
  }
  throw failureFor(answer, `Cancelling checkpoint ${id}`, id)
}
