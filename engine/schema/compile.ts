import { Ajv, type Options, type ValidateFunction } from 'ajv'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import { WeightedLru } from './lru.js'
import { re2Engine } from './re2-engine.js'

/**
 * Compiling agents' schemas, one scope per schema document. Runs inside a validation worker
 * (schema-worker.ts), never on the server's event loop.
 *
 * Isolation: every schema gets a fresh Ajv instance, so an `$id` registers nowhere else: two
 * agents may use the same `$id`, and a `$ref` resolves only inside its own document (a
 * reference to anything else, remote or another agent's, fails to compile and is refused).
 * Dropping the cache entry drops the instance, which is how compiled code is released.
 */

// ajv-formats ships CommonJS with a default export that NodeNext sees as the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv | Ajv2020) => void

const DRAFT_07 = /draft-0[4-7]/

export interface Compiled {
  /** Absent when the schema cannot be used; `invalid` says why. */
  validate?: ValidateFunction
  invalid?: string
  /** `format` names ajv does not know; ignored when answering, refused when creating. */
  unknownFormats: string[]
  /** The schema recurses without consuming the value (`{"$ref": "#"}`). */
  loops: boolean
}

const isDraft07 = (schema: Record<string, unknown>) => typeof schema.$schema === 'string' && DRAFT_07.test(schema.$schema)

function options(logger: Options['logger']): Options {
  return {
    allErrors: true,
    // Unknown keywords stay allowed (agents annotate schemas); unknown formats are reported
    // through the logger below and decided on by the caller, never printed.
    strict: false,
    validateFormats: true,
    // The meta-schema check runs once on a shared instance (metaProblem); compiling the
    // meta-schema again in every per-schema instance would cost more than the schema itself.
    validateSchema: false,
    meta: false,
    logger,
    code: { regExp: re2Engine },
  }
}

let metaCheckers: { draft07: Ajv; draft2020: Ajv2020 } | undefined

/** The schema against its meta-schema, on instances that never hold an agent's schema. */
function metaProblem(schema: Record<string, unknown>): string | undefined {
  metaCheckers ??= { draft07: new Ajv({ strict: false, logger: false }), draft2020: new Ajv2020({ strict: false, logger: false }) }
  const checker = isDraft07(schema) ? metaCheckers.draft07 : metaCheckers.draft2020
  const ok = checker.validateSchema(schema)
  return ok ? undefined : checker.errorsText(checker.errors, { dataVar: 'schema' })
}

function compileFresh(schema: Record<string, unknown>): Compiled {
  const unknownFormats: string[] = []
  const warn = (...args: unknown[]) => {
    const match = typeof args[0] === 'string' ? /^unknown format "(.*)" ignored/s.exec(args[0]) : null
    if (match?.[1] !== undefined && !unknownFormats.includes(match[1])) unknownFormats.push(match[1])
  }
  const logger = { log: () => undefined, warn, error: warn }
  const ajv = isDraft07(schema) ? new Ajv(options(logger)) : new Ajv2020(options(logger))
  addFormats(ajv)
  const validate = ajv.compile(schema)
  return { validate, unknownFormats, loops: runsAway(validate) }
}

// One trial run per shape finds a `$ref` loop that does not consume the value now, rather
// than on every answer later.
function runsAway(validate: ValidateFunction): boolean {
  for (const trial of [null, {}, [], '']) {
    try {
      validate(trial)
    } catch (error) {
      if (error instanceof RangeError) return true
      throw error
    }
  }
  return false
}

function whyNot(error: unknown): string {
  const missing = (error as { missingRef?: unknown }).missingRef
  if (typeof missing === 'string') {
    return `$ref ${JSON.stringify(missing)} does not point inside this schema; references to remote, urn: or other schemas are not allowed (define it under $defs and refer to it with "#/…")`
  }
  return (error as Error).message
}

export function compile(schemaText: string): Compiled {
  let schema: Record<string, unknown>
  try {
    schema = JSON.parse(schemaText) as Record<string, unknown>
  } catch {
    return { invalid: 'is not JSON', unknownFormats: [], loops: false }
  }
  try {
    const meta = metaProblem(schema)
    if (meta !== undefined) return { invalid: meta, unknownFormats: [], loops: false }
    return compileFresh(schema)
  } catch (error) {
    // Stack overflows while compiling are the schema's fault too, and come out as a RangeError.
    return { invalid: whyNot(error), unknownFormats: [], loops: false }
  }
}

/** Compiled schemas by content hash: identical schemas (one agent's repeated asks) share one. */
export class CompiledCache {
  private readonly lru: WeightedLru<Compiled>

  constructor(entries: number, bytes: number) {
    this.lru = new WeightedLru(entries, bytes)
  }

  get(key: string, schemaText: string): Compiled {
    const hit = this.lru.get(key)
    if (hit) return hit
    const compiled = compile(schemaText)
    this.lru.set(key, compiled, schemaText.length)
    return compiled
  }
}
