import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * Ids that belong on every log line written while serving one request or running one job,
 * without threading a child logger through every call: the logger's mixin reads them here.
 * Fields are getters so ids learnt later (the route's checkpoint id) still show up.
 */
export interface LogContext {
  readonly requestId?: string | undefined
  readonly checkpointId?: string | undefined
  readonly queue?: string | undefined
  readonly jobId?: string | undefined
}

const storage = new AsyncLocalStorage<LogContext>()

export function withLogContext<T>(context: LogContext, run: () => T): T {
  return storage.run(context, run)
}

/** The current ids, leaving out the ones not known (pino merges these into each line). */
export function currentLogContext(): Record<string, string> {
  const context = storage.getStore()
  if (!context) return {}
  const out: Record<string, string> = {}
  for (const key of ['requestId', 'checkpointId', 'queue', 'jobId'] as const) {
    const value = context[key]
    if (value !== undefined) out[key] = value
  }
  return out
}
