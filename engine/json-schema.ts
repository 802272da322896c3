import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { createHash } from 'node:crypto'
import { pointer, type FieldProblem } from './problems.js'

/**
 * Server-side validation of answers against the agent's JSON Schema. Schemas are compiled
 * once and cached by content hash: the same agent sends the same schema many times.
 */

// ajv-formats ships CommonJS with a default export that NodeNext sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void

const DRAFT_07 = /draft-0[4-7]/
const options = { allErrors: true, strict: false, validateFormats: true } as const
const draft07 = new Ajv(options)
const draft2020 = new Ajv2020(options)
addFormats(draft07)
addFormats(draft2020)

const cache = new Map<string, ValidateFunction>()
const CACHE_LIMIT = 2000

function compilerFor(schema: Record<string, unknown>): Ajv | Ajv2020 {
  const declared = typeof schema.$schema === 'string' ? schema.$schema : ''
  return DRAFT_07.test(declared) ? draft07 : draft2020
}

export function schemaHash(schema: unknown): string {
  return createHash('sha256').update(JSON.stringify(schema)).digest('base64url')
}

/** Compiles (or fetches) a validator; throws with a readable message for an invalid schema. */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = schemaHash(schema)
  const hit = cache.get(key)
  if (hit) return hit
  const compiled = compilerFor(schema).compile(schema)
  if (cache.size >= CACHE_LIMIT) {
    const oldest = cache.keys().next()
    if (!oldest.done) cache.delete(oldest.value)
  }
  cache.set(key, compiled)
  return compiled
}

/** Problems with a schema itself, reported at `at` (e.g. `/responseSchema`). */
/** Async because validation is budgeted work that may leave the event loop. */
export function schemaProblems(schema: Record<string, unknown>, at: string): Promise<FieldProblem[]> {
  return Promise.resolve(schemaProblemsNow(schema, at))
}

function schemaProblemsNow(schema: Record<string, unknown>, at: string): FieldProblem[] {
  let validate: ValidateFunction
  try {
    validate = compileSchema(schema)
  } catch (error) {
    return [{ path: at, message: `not a valid JSON Schema: ${(error as Error).message}` }]
  }
  // A `$ref` loop that does not consume the value (`{"$ref": "#"}`) recurses forever on any
  // input; one trial run finds it now rather than on every answer later.
  for (const trial of [null, {}, [], '']) {
    if (runsAway(validate, trial)) return [{ path: at, message: 'the schema refers to itself without end ($ref loop)' }]
  }
  return []
}

function runsAway(validate: ValidateFunction, value: unknown): boolean {
  try {
    validate(value)
    return false
  } catch (error) {
    if (error instanceof RangeError) return true
    throw error
  }
}

function describe(error: ErrorObject): FieldProblem {
  // A missing property fails at its parent; point at the property itself, which is what a form shows.
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty
    return { path: `${error.instancePath}${pointer([missing])}`, message: 'is required' }
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty
    return { path: `${error.instancePath}${pointer([extra])}`, message: 'is not allowed by the schema' }
  }
  return { path: error.instancePath, message: error.message ?? 'is invalid' }
}

/** Problems with `value` against `schema`, with paths prefixed by `base` (e.g. `/response`). */
export function valueProblems(schema: Record<string, unknown>, value: unknown, base = ''): Promise<FieldProblem[]> {
  return Promise.resolve(valueProblemsNow(schema, value, base))
}

function valueProblemsNow(schema: Record<string, unknown>, value: unknown, base: string): FieldProblem[] {
  const validate = compileSchema(schema)
  let ok: boolean
  try {
    ok = validate(value)
  } catch (error) {
    // A schema whose loop only some values reach: refuse the value, not the server.
    if (error instanceof RangeError) return [{ path: base, message: 'cannot be checked: the schema recurses without end for this value' }]
    throw error
  }
  if (ok) return []
  return (validate.errors ?? []).map((e) => {
    const p = describe(e)
    return { path: `${base}${p.path}`, message: p.message }
  })
}
