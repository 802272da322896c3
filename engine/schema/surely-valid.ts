import { sameCanonical } from '../canonical-json.js'

/**
 * A check that can only say yes: `surelyValid` is true when `value` certainly satisfies
 * `schema` under ajv's rules, and false when it does not, or when the schema uses anything
 * beyond a plain subset, or when the walk would cost more than a fixed budget. A false sends
 * the value to a validation worker (pool.ts), which gives the real verdict and its problems.
 *
 * Most answers are small values against plain schemas (`{approved: boolean}`), and sending
 * each to a worker thread was a visible share of an answer's CPU on the event loop. This runs
 * on the event loop, so it must be bounded whatever the agent sent: no regular expressions, no
 * formats, no references, and at most BUDGET schema-and-value pairs looked at.
 *
 * Sound means: never true where ajv would refuse. Where ajv is subtle (inherited properties
 * count for `required`, `multipleOf` on floats, tuple `items`, draft-04's boolean exclusive
 * bounds), this says false and lets the worker decide.
 */

const BUDGET = 2_000
/** Longer strings are counted in a worker: counting code points is linear in the string. */
const LONGEST_STRING = 10_000

const TYPES = new Set(['null', 'boolean', 'object', 'array', 'number', 'integer', 'string'])
const META_SCHEMAS = new Set(['http://json-schema.org/draft-07/schema#', 'http://json-schema.org/draft-07/schema', 'https://json-schema.org/draft/2020-12/schema'])

type Schema = Record<string, unknown>

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0
const own = (o: object, key: string) => Object.prototype.hasOwnProperty.call(o, key)

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null': return value === null
    case 'boolean': return typeof value === 'boolean'
    case 'object': return isObject(value)
    case 'array': return Array.isArray(value)
    case 'number': return typeof value === 'number' && Number.isFinite(value)
    case 'integer': return Number.isInteger(value)
    case 'string': return typeof value === 'string'
    default: return false
  }
}

/** Code points, as ajv counts lengths (a surrogate pair is one character). */
function length(s: string): number {
  let n = 0
  for (const _ of s) n++
  return n
}

const isFiniteNumber = (v: unknown) => typeof v === 'number' && Number.isFinite(v)
const uniqueStrings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string') && new Set(v).size === v.length

/**
 * What each keyword of the subset must look like: at least as strict as the draft-07 and
 * 2020-12 meta-schemas, so a schema that passes compiles in ajv and means what `walk` reads.
 * Subschemas (under `properties` and `items`) are checked by the caller.
 */
const KEYWORDS: Record<string, (v: unknown) => boolean> = {
  type: (v) => (typeof v === 'string' ? TYPES.has(v) : uniqueStrings(v) && (v as string[]).length > 0 && (v as string[]).every((t) => TYPES.has(t))),
  properties: isObject,
  required: uniqueStrings,
  additionalProperties: (v) => typeof v === 'boolean',
  enum: (v) => Array.isArray(v) && v.length > 0,
  const: () => true,
  items: (v) => typeof v === 'boolean' || isObject(v),
  minItems: isCount, maxItems: isCount, minLength: isCount, maxLength: isCount,
  minimum: isFiniteNumber, maximum: isFiniteNumber, exclusiveMinimum: isFiniteNumber, exclusiveMaximum: isFiniteNumber,
  // Annotations: they never change a verdict, but the meta-schemas still constrain them.
  $schema: (v) => typeof v === 'string' && META_SCHEMAS.has(v),
  $comment: (v) => typeof v === 'string',
  title: (v) => typeof v === 'string',
  description: (v) => typeof v === 'string',
  default: () => true,
  examples: Array.isArray,
  readOnly: (v) => typeof v === 'boolean',
  writeOnly: (v) => typeof v === 'boolean',
  deprecated: (v) => typeof v === 'boolean',
}

export function surelyValid(schema: unknown, value: unknown): boolean {
  let left = BUDGET
  /** The whole schema is in the subset and well formed, including parts the value never reaches. */
  const plain = (s: unknown): boolean => {
    if (--left < 0) return false
    if (typeof s === 'boolean') return true
    if (!isObject(s)) return false
    for (const key of Object.keys(s)) {
      const check = own(KEYWORDS, key) ? KEYWORDS[key] : undefined
      if (!check?.(s[key])) return false
    }
    if (s.properties !== undefined && !Object.values(s.properties as Schema).every(plain)) return false
    return s.items === undefined || plain(s.items)
  }
  // From here on the schema is known well formed (`plain` passed), so only values are checked.
  const walk = (s: unknown, v: unknown): boolean => {
    if (--left < 0) return false
    return typeof s === 'boolean' ? s : keywords(s as Schema, v)
  }
  const keywords = (s: Schema, v: unknown): boolean => {
    if (s.type !== undefined && !(Array.isArray(s.type) ? s.type : [s.type]).some((t) => hasType(v, t as string))) return false
    if (s.enum !== undefined && !(s.enum as unknown[]).some((e) => sameCanonical(e, v))) return false
    if (own(s, 'const') && !sameCanonical(s.const, v)) return false
    if (isObject(v)) return object(s, v)
    if (Array.isArray(v)) return array(s, v)
    if (typeof v === 'string') return string(s, v)
    if (typeof v === 'number') return number(s, v)
    return true
  }
  const object = (s: Schema, v: Record<string, unknown>): boolean => {
    const properties = s.properties as Schema | undefined
    // ajv reads `data.name`, so a property the value lacks but Object.prototype has (toString)
    // is checked against its schema there; leave those to it.
    if (properties) for (const key of Object.keys(properties)) if (key in Object.prototype && !own(v, key)) return false
    const keys = Object.keys(v)
    left -= keys.length
    if (left < 0) return false
    if (s.required !== undefined && !(s.required as string[]).every((name) => own(v, name))) return false
    for (const key of keys) {
      if (key === '__proto__') return false
      if (properties && own(properties, key)) {
        if (!walk(properties[key], v[key])) return false
      } else if (s.additionalProperties === false) return false
    }
    return true
  }
  const array = (s: Schema, v: unknown[]): boolean => {
    if (s.minItems !== undefined && v.length < (s.minItems as number)) return false
    if (s.maxItems !== undefined && v.length > (s.maxItems as number)) return false
    return s.items === undefined || v.every((item) => walk(s.items, item))
  }
  const string = (s: Schema, v: string): boolean => {
    if (s.minLength === undefined && s.maxLength === undefined) return true
    if (v.length > LONGEST_STRING) return false
    const n = length(v)
    return (s.minLength === undefined || n >= (s.minLength as number)) && (s.maxLength === undefined || n <= (s.maxLength as number))
  }
  const number = (s: Schema, v: number): boolean => {
    const within = (b: unknown, ok: (b: number) => boolean) => b === undefined || ok(b as number)
    return within(s.minimum, (b) => v >= b) && within(s.maximum, (b) => v <= b) && within(s.exclusiveMinimum, (b) => v > b) && within(s.exclusiveMaximum, (b) => v < b)
  }
  return isObject(schema) && plain(schema) && walk(schema, value)
}
