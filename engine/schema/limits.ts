/**
 * The budget one schema validation may spend. Schemas and values come from agents, which
 * may be prompt-injected, buggy or hostile, so every dimension that can make validation
 * slow or large has a ceiling, and the time ceiling is enforced by killing the worker.
 */
export interface ValidationLimits {
  /** Wall time of one compile or validation inside a worker; a worker that overruns is terminated. */
  timeoutMs: number
  /** Worker threads validating in parallel. */
  workers: number
  /** A schema's size as JSON (UTF-8 bytes). */
  maxSchemaBytes: number
  /** Object keys in one schema document, all levels together. */
  maxSchemaKeys: number
  /** Nesting of objects and arrays in one schema document. */
  maxSchemaDepth: number
  /** Problems reported for one value; the rest are summarised in one final problem. */
  maxErrors: number
  /** Heap of one worker; a worker that needs more is terminated like one that overruns. */
  workerHeapMb: number
  /** Validations waiting for a worker; past this a request is refused rather than queued. */
  maxQueued: number
  /** Compiled schemas each worker keeps, by count and by total schema bytes. */
  cacheEntries: number
  cacheBytes: number
}

export const DEFAULT_LIMITS: Readonly<ValidationLimits> = Object.freeze({
  // Real answer schemas validate in well under a millisecond; a second is generous for a
  // large legitimate schema's first compile and still short enough that a flood of hostile
  // requests cannot hold a worker for long.
  timeoutMs: 1000,
  workers: 2,
  maxSchemaBytes: 128 * 1024,
  maxSchemaKeys: 5000,
  maxSchemaDepth: 64,
  maxErrors: 50,
  workerHeapMb: 256,
  maxQueued: 1000,
  cacheEntries: 500,
  cacheBytes: 8 * 1024 * 1024,
})

/** Limits from the environment variables the config schema accepts, over the defaults. */
export function limitsFromEnv(env: Record<string, string | undefined> = process.env): ValidationLimits {
  const int = (name: string, fallback: number, min: number): number => {
    const n = Number(env[name])
    return env[name] !== undefined && env[name] !== '' && Number.isInteger(n) && n >= min ? n : fallback
  }
  return {
    ...DEFAULT_LIMITS,
    timeoutMs: int('HOLDPOINT_VALIDATION_TIMEOUT_MS', DEFAULT_LIMITS.timeoutMs, 50),
    workers: int('HOLDPOINT_VALIDATION_WORKERS', DEFAULT_LIMITS.workers, 1),
    maxSchemaBytes: int('HOLDPOINT_SCHEMA_MAX_BYTES', DEFAULT_LIMITS.maxSchemaBytes, 1024),
  }
}
