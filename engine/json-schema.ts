import { sha256 } from './sha256.js'
import type { FieldProblem } from './problems.js'
import { limitsFromEnv, type ValidationLimits } from './schema/limits.js'
import { ValidationPool, type PoolStats } from './schema/pool.js'
import { shapeProblems } from './schema/shape.js'
import { WeightedLru } from './schema/lru.js'
import { surelyValid } from './schema/surely-valid.js'

/**
 * Validation of agents' JSON Schemas and of values against them, on a budget. Agents are
 * untrusted, so schemas compile and run in worker threads (engine/schema/pool.ts) under a
 * time and heap limit, patterns run on a linear-time engine, each schema compiles in its
 * own scope, and sizes and error lists are capped; only a bounded check that can merely say
 * yes runs on the event loop (schema/surely-valid.ts). See SECURITY.md, "Schema validation".
 */

export type { ValidationLimits } from './schema/limits.js'
export { DEFAULT_LIMITS } from './schema/limits.js'

let limits: ValidationLimits = limitsFromEnv()
let pool: ValidationPool | undefined

const thePool = () => (pool ??= new ValidationPool(limits))

/**
 * Schemas a worker has already found valid under the current limits, by hash. Agents send the
 * same responseSchema with every checkpoint, and asking a worker again is a round trip between
 * threads (≈ 0.1 ms of the event loop's CPU) for an answer that cannot change. Only a clean
 * verdict is kept, and the memo is dropped with the pool, so a change of limits re-checks.
 */
const VALID_SCHEMAS_KEPT = 1024
const validSchemas = new WeightedLru<true>(VALID_SCHEMAS_KEPT, Infinity)

/**
 * Sets the limits (the runtime passes its config). A change restarts the pool: validations
 * in flight are answered with a problem, so change limits at start, not under load.
 */
export function configureValidation(next: Partial<ValidationLimits>): void {
  const merged = { ...limits, ...next }
  if (JSON.stringify(merged) === JSON.stringify(limits)) return
  limits = merged
  validSchemas.clear()
  const old = pool
  pool = undefined
  if (old) void old.close()
}

export function validationLimits(): Readonly<ValidationLimits> {
  return limits
}

/** Starts the validation workers ahead of the first request. */
export function warmValidation(): void {
  thePool().warm()
}

/** Stops the validation workers (they restart on the next validation). */
export async function closeValidation(): Promise<void> {
  validSchemas.clear()
  const old = pool
  pool = undefined
  await old?.close()
}

export function validationStats(): Readonly<PoolStats> | undefined {
  return pool?.stats
}

export function schemaHash(schema: unknown): string {
  return hashText(JSON.stringify(schema) ?? 'undefined')
}

const hashText = (text: string) => sha256(text, 'base64url')

/** Problems with a schema itself, reported at `at` (e.g. `/responseSchema`). */
export async function schemaProblems(schema: Record<string, unknown>, at: string): Promise<FieldProblem[]> {
  const schemaText = JSON.stringify(schema)
  const shape = shapeProblems(schema, Buffer.byteLength(schemaText), at, limits)
  if (shape.length > 0) return shape
  const key = hashText(schemaText)
  if (validSchemas.get(key)) return []
  const problems = await thePool().run({ op: 'schema', key, schemaText, at })
  if (problems.length === 0) validSchemas.set(key, true, 1)
  return problems
}

/** Problems with `value` against `schema`, with paths prefixed by `base` (e.g. `/response`). */
export async function valueProblems(schema: Record<string, unknown>, value: unknown, base = ''): Promise<FieldProblem[]> {
  // Plain schemas over small values pass on the event loop (bounded; it can only say yes);
  // anything else, and every refusal with its problems, comes from a worker.
  if (value !== undefined && surelyValid(schema, value)) return []
  const schemaText = JSON.stringify(schema)
  const valueText = value === undefined ? null : JSON.stringify(value)
  return thePool().run({ op: 'value', key: hashText(schemaText), schemaText, valueText, base, maxErrors: limits.maxErrors })
}
