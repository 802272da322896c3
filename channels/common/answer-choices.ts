
/**
 * One-click answers: the response schemas a person can answer with a single tap or link.
 * A boolean or an enum of up to four values, on its own or as the one required field of an
 * object. Anything richer goes to the dashboard form. Every channel shares these rules
 * so a checkpoint offers the same buttons everywhere.
 */
export interface AnswerChoice {
  label: string
  response: unknown
}

const MAX_ENUM = 4
type Schema = Record<string, unknown>

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * A boolean field whose name says plainly that `true` means yes to the request (`approved`,
 * `isAllowed`, `confirm`): only then are its buttons Approve/Reject. Any other name
 * (`disapprove`, `reject`, `notAllowed`, none at all) gets Yes/No, which say the value itself.
 * Titles never choose a label: a schema could title `true` "Reject".
 */
const APPROVAL_NAME = /^(?:is[_-]?)?(?:approved?|approval|accept(?:ed)?|allow(?:ed)?|confirm(?:ed)?|grant(?:ed)?)$/i

export function booleanLabels(name?: string): { yes: string; no: string; approval: boolean } {
  const approval = name !== undefined && APPROVAL_NAME.test(name)
  return approval ? { yes: 'Approve', no: 'Reject', approval } : { yes: 'Yes', no: 'No', approval }
}

function fieldChoices(field: Schema, name?: string): AnswerChoice[] | null {
  const values = Array.isArray(field.enum) ? (field.enum as unknown[]) : null
  if (values && values.length > 0 && values.length <= MAX_ENUM && values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return values.map((v) => ({ label: String(v), response: v }))
  }
  if (field.type === 'boolean') {
    // An approval reads better as Approve/Reject than Yes/No.
    const labels = booleanLabels(name)
    return [
      { label: labels.yes, response: true },
      { label: labels.no, response: false },
    ]
  }
  return null
}

const FIELD_KEYS = new Set(['type', 'enum', 'title', 'description', 'default', 'examples'])
const OBJECT_KEYS = new Set(['type', 'properties', 'required', 'additionalProperties', 'title', 'description', '$schema'])
const JSON_TYPE: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
}

function plainField(field: Schema): boolean {
  if (!Object.keys(field).every((k) => FIELD_KEYS.has(k))) return false
  if (field.type === undefined || !Array.isArray(field.enum)) return true
  const fits = typeof field.type === 'string' ? JSON_TYPE[field.type] : undefined
  return fits !== undefined && field.enum.every((v) => fits(v))
}

/**
 * True when every choice `oneClickChoices` derives is valid by construction: the schema uses
 * only keywords whose meaning the derivation already honours. This replaces running the
 * validator at render time, which would let a hostile schema cost work on every message.
 */
export function choicesAlwaysValid(schema: Schema): boolean {
  if (schema.type !== 'object') return plainField(schema)
  if (!Object.keys(schema).every((k) => OBJECT_KEYS.has(k))) return false
  if (schema.additionalProperties !== undefined && typeof schema.additionalProperties !== 'boolean') return false
  const sole = soleField(schema)
  return sole !== null && plainField(sole[1])
}

/** The single field an object schema hinges on: the only required one, or the only one. */
function soleField(schema: Schema): [string, Schema] | null {
  if (!isSchema(schema.properties)) return null
  const props = Object.entries(schema.properties)
  const required = Array.isArray(schema.required) ? (schema.required as unknown[]).filter((r): r is string => typeof r === 'string') : []
  const key = required.length === 1 ? required[0] : required.length === 0 && props.length === 1 ? props[0]?.[0] : undefined
  const field = key === undefined ? undefined : schema.properties[key]
  return key !== undefined && isSchema(field) ? [key, field] : null
}

/** The answers to offer as buttons, or null when the schema needs a form. */
export function oneClickChoices(schema: Schema): AnswerChoice[] | null {
  let choices = fieldChoices(schema)
  if (!choices && schema.type === 'object') {
    const sole = soleField(schema)
    const inner = sole && fieldChoices(sole[1], sole[0])
    if (sole && inner) choices = inner.map((c) => ({ label: c.label, response: { [sole[0]]: c.response } }))
  }
  // Only offer what the server would accept: a schema with other constraints needs the form.
  return choices && choicesAlwaysValid(schema) ? choices : null
}

/** How a free-text reply becomes the response, when the schema is one plain string field. */
export function freeTextAnswer(schema: Schema): ((text: string) => unknown) | null {
  const plain = (s: Schema) => s.type === 'string' && !Array.isArray(s.enum) && s.const === undefined
  if (plain(schema)) return (text) => text
  if (schema.type !== 'object') return null
  const sole = soleField(schema)
  if (!sole || !plain(sole[1])) return null
  const [key] = sole
  return (text) => ({ [key]: text })
}

/** The label of an answer if it was one of the choices, else a compact JSON rendering. */
export function describeAnswer(response: unknown, choices: AnswerChoice[] | null): string {
  const match = choices?.find((c) => JSON.stringify(c.response) === JSON.stringify(response))
  if (match) return match.label
  const json = JSON.stringify(response) ?? 'null'
  return json.length > 300 ? `${json.slice(0, 297)}…` : json
}

/**
 * The "approve" answer of a schema whose one-click choices are exactly a boolean's true and
 * false (Approve/Reject, Yes/No), or null. "Approve all" sends only this, never a guess at an
 * enum's meaning.
 */
export function approvalAnswer(schema: Schema): { response: unknown } | null {
  const pair = decisionPair(oneClickChoices(schema))
  return pair ? { response: pair.approve } : null
}

/** The boolean's true/false answers, when the one-click choices are exactly those two. */
export function decisionPair(choices: AnswerChoice[] | null): { approve: unknown; reject: unknown } | null {
  if (choices?.length !== 2) return null
  const leaf = (r: unknown): unknown => (r !== null && typeof r === 'object' ? Object.values(r)[0] : r)
  const [yes, no] = choices
  return yes && no && leaf(yes.response) === true && leaf(no.response) === false ? { approve: yes.response, reject: no.response } : null
}
