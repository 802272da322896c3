// One HTTP exchange with the agent API: authentication, JSON in and out, a deadline per
// attempt, and the split between answers worth retrying (thrown as RetryableFailure and
// handled by withRetry) and answers the caller must interpret.
import { resolveConfig } from './config.js'
import {
  CheckpointNotFoundError,
  CheckpointValidationError,
  HoldpointAuthError,
  HoldpointRequestError,
  type ProblemDetails,
  type ProblemFieldError,
} from './errors.js'
import { DEFAULT_RETRY_POLICY, RetryableFailure, abortReason, withRetry, type RetryPolicy } from './retry.js'
import type { ConnectionOptions, FetchLike } from './types.js'

/** A resolved connection: everything a request needs, computed once per SDK call. */
export interface Transport {
  url: string
  token: string
  fetch: FetchLike
  signal: AbortSignal | undefined
  policy: RetryPolicy
}

export async function openTransport(options: ConnectionOptions): Promise<Transport> {
  const { url, token } = await resolveConfig({ url: options.url, token: options.token })
  const unavailableAfterMs = options.unavailableAfterMs ?? DEFAULT_RETRY_POLICY.unavailableAfterMs
  if (!(unavailableAfterMs >= 0)) throw new RangeError('unavailableAfterMs must be a number >= 0')
  return {
    url,
    token,
    // Bound late so a test or polyfill that replaces globalThis.fetch after import is honoured.
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    signal: options.signal,
    policy: { ...DEFAULT_RETRY_POLICY, unavailableAfterMs },
  }
}

export interface HttpRequest {
  method: 'GET' | 'POST'
  path: string
  body?: unknown
  headers?: Record<string, string>
  /** Client-side deadline of one attempt; a server that hangs is treated like one that is down. */
  timeoutMs: number
}

export interface HttpAnswer {
  status: number
  headers: Headers
  body: unknown
}

// Statuses that mean "the server (or a proxy in front of it) cannot answer right now".
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429
}

function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')
  if (value === null) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}

/** Links the caller's signal with a per-attempt deadline, without relying on AbortSignal.any. */
function attemptSignal(parent: AbortSignal | undefined, timeoutMs: number): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController()
  const onParentAbort = (): void => controller.abort(parent?.reason)
  parent?.addEventListener('abort', onParentAbort, { once: true })
  const timer = setTimeout(
    () => controller.abort(new DOMException(`No answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  )
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer)
      parent?.removeEventListener('abort', onParentAbort)
    },
  }
}

async function attempt(transport: Transport, request: HttpRequest): Promise<HttpAnswer> {
  const headers: Record<string, string> = {
    accept: 'application/json, application/problem+json',
    authorization: `Bearer ${transport.token}`,
    ...request.headers,
  }
  if (request.body !== undefined) headers['content-type'] = 'application/json'
  const init: RequestInit = { method: request.method, headers }
  if (request.body !== undefined) init.body = JSON.stringify(request.body)
  const { signal, done } = attemptSignal(transport.signal, request.timeoutMs)
  init.signal = signal
  try {
    const response = await transport.fetch(transport.url + request.path, init)
    // The body is read inside the deadline too: a server dying mid-answer is just another outage.
    const text = await response.text()
    if (isRetryableStatus(response.status)) {
      throw new RetryableFailure(`HTTP ${response.status} from ${request.method} ${request.path}`, response.status, retryAfterMs(response.headers))
    }
    return { status: response.status, headers: response.headers, body: parseBody(text) }
  } catch (error) {
    if (transport.signal?.aborted) throw abortReason(transport.signal)
    if (error instanceof RetryableFailure) throw error
    const reason = error instanceof Error ? error.message : String(error)
    throw new RetryableFailure(`${request.method} ${request.path} failed: ${reason}`, undefined, undefined, { cause: error })
  } finally {
    done()
  }
}

function parseBody(text: string): unknown {
  if (text === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    return text
  }
}

/** Sends a request, retrying network failures and 5xx until the retry policy gives up. */
export function send(transport: Transport, request: HttpRequest, checkpointId?: string): Promise<HttpAnswer> {
  return withRetry(() => attempt(transport, request), {
    policy: transport.policy,
    signal: transport.signal,
    checkpointId,
  })
}

export function problemOf(answer: HttpAnswer): ProblemDetails | undefined {
  const body = answer.body
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined
  return body as ProblemDetails
}

function fieldErrors(problem: ProblemDetails | undefined): ProblemFieldError[] {
  const errors = problem?.errors
  if (!Array.isArray(errors)) return []
  return errors.filter((entry): entry is ProblemFieldError => typeof entry === 'object' && entry !== null)
}

// The contract names the member `path`; RFC 9457 examples often say `pointer`. Accept both.
function pathOf(error: ProblemFieldError): string {
  const path = error.path ?? error['pointer']
  return typeof path === 'string' ? path : '?'
}

function describe(answer: HttpAnswer, problem: ProblemDetails | undefined): string {
  return problem?.detail ?? problem?.title ?? (typeof answer.body === 'string' && answer.body !== '' ? answer.body : `HTTP ${answer.status}`)
}

/** The error for an answer the route-specific code did not claim: the meanings shared by every route. */
export function failureFor(answer: HttpAnswer, what: string, checkpointId?: string): Error {
  const problem = problemOf(answer)
  const fields = { status: answer.status, problem, checkpointId }
  switch (answer.status) {
    case 401:
      return new HoldpointAuthError(`Holdpoint refused the API token (401): ${describe(answer, problem)}`, fields)
    case 422: {
      const errors = fieldErrors(problem)
      const list = errors.map((e) => `${pathOf(e)} ${e.message ?? ''}`.trim()).join('; ')
      return new CheckpointValidationError(`${what} was rejected as invalid: ${list || describe(answer, problem)}`, errors, fields)
    }
    case 404:
      if (checkpointId !== undefined) return new CheckpointNotFoundError(checkpointId, fields)
      break
  }
  return new HoldpointRequestError(`${what} failed with HTTP ${answer.status}: ${describe(answer, problem)}`, fields)
}
