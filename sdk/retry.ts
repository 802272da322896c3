// How the SDK rides out a server that is restarting or briefly unreachable: keep retrying
// with capped, jittered exponential backoff, and give up only after the server has been
// unreachable without a break for `unavailableAfterMs`. Every default is documented here.
import { HoldpointUnavailableError } from './errors.js'

export interface RetryPolicy {
  /** First backoff delay. */
  initialDelayMs: number
  /** Largest backoff delay. */
  maxDelayMs: number
  /** Continuous failure after which `HoldpointUnavailableError` is thrown. */
  unavailableAfterMs: number
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  initialDelayMs: 250,
  maxDelayMs: 5_000,
  unavailableAfterMs: 300_000,
})

/** A failure worth retrying: no answer at all, or an answer saying "not now" (5xx, 408, 429). */
export class RetryableFailure extends Error {
  override name = 'RetryableFailure'
  constructor(
    message: string,
    readonly status?: number,
    /** The server's Retry-After, in ms, when it gave one. */
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Delay before retry number `attempt` (0-based): half fixed, half random, so clients spread out. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.min(attempt, 30))
  return ceiling / 2 + random() * (ceiling / 2)
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError')
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    // The caller's abort reason is rethrown as given, whatever its type, like fetch does.
    if (signal?.aborted) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(abortReason(signal))
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
      reject(abortReason(signal as AbortSignal))
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export interface RetryContext {
  policy: RetryPolicy
  signal?: AbortSignal | undefined
  checkpointId?: string | undefined
  /** Called before each retry; lets callers log or observe. */
  onRetry?: ((failure: RetryableFailure, delayMs: number) => void) | undefined
}

/**
 * Runs `attempt` until it settles with anything but a RetryableFailure. The unavailability
 * clock starts at the first failure of a streak, so a long wait interrupted by a restart
 * does not count the time the server was healthy.
 */
export async function withRetry<T>(attempt: () => Promise<T>, context: RetryContext): Promise<T> {
  const { policy, signal } = context
  let streakStartedAt: number | undefined
  for (let failures = 0; ; failures++) {
    signal?.throwIfAborted()
    try {
      return await attempt()
    } catch (error) {
      if (!(error instanceof RetryableFailure)) throw error
      if (signal?.aborted) throw abortReason(signal)
      const now = Date.now()
      streakStartedAt ??= now
      const elapsed = now - streakStartedAt
      const remaining = policy.unavailableAfterMs - elapsed
      if (remaining <= 0) {
        throw new HoldpointUnavailableError(elapsed, {
          checkpointId: context.checkpointId,
          status: error.status,
          cause: error,
        })
      }
      // One last attempt lands right at the deadline rather than overshooting it.
      const delay = Math.min(remaining, Math.max(backoffDelay(failures, policy), error.retryAfterMs ?? 0))
      context.onRetry?.(error, delay)
      await sleep(delay, signal)
    }
  }
}
