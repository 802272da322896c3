import { createHash } from 'node:crypto'
import type { FieldProblem } from './problems.js'
import { limitsFromEnv, type ValidationLimits } from './schema/limits.js'
import { ValidationPool, type PoolStats } from './schema/pool.js'
import { shapeProblems } from './schema/shape.js'

/**
 * Validation of agents' JSON Schemas and of values against them, on a budget. Agents are
 * untrusted, so schemas compile and run in worker threads (engine/schema/pool.ts) under a
 * time and heap limit, patterns run on a linear-time engine, each schema compiles in its
 * own scope, and sizes and error lists are capped. See SECURITY.md, "Schema validation".
 */

export type { ValidationLimits } from './schema/limits.js'
export { DEFAULT_LIMITS } from './schema/limits.js'

let limits: ValidationLimits = limitsFromEnv()
let pool: ValidationPool | undefined

const thePool = () => (pool ??= new ValidationPool(limits))

/**
 * Sets the limits (the runtime passes its config). A change restarts the pool: validations
 * in flight are answered with a problem, so change limits at start, not under load.
 */
export function configureValidation(next: Partial<ValidationLimits>): void {
  const merged = { ...limits, ...next }
  if (JSON.stringify(merged) === JSON.stringify(limits)) return
  limits = merged
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

const hashText = (text: string) => createHash('sha256').update(text).digest('base64url')

/** Problems with a schema itself, reported at `at` (e.g. `/responseSchema`). */
export async function schemaProblems(schema: Record<string, unknown>, at: string): Promise<FieldProblem[]> {
  const schemaText = JSON.stringify(schema)
  const shape = shapeProblems(schema, Buffer.byteLength(schemaText), at, limits)
  if (shape.length > 0) return shape
  return thePool().run({ op: 'schema', key: hashText(schemaText), schemaText, at })
}

/** Problems with `value` against `schema`, with paths prefixed by `base` (e.g. `/response`). */
export async function valueProblems(schema: Record<string, unknown>, value: unknown, base = ''): Promise<FieldProblem[]> {
  const schemaText = JSON.stringify(schema)
  const valueText = value === undefined ? null : JSON.stringify(value)
  return thePool().run({ op: 'value', key: hashText(schemaText), schemaText, valueText, base, maxErrors: limits.maxErrors })
}
