import { valueProblems } from '../../engine/json-schema.js'

/**
 * One-click answers: the response schemas a person can answer with a single tap or link.
 * A boolean or an enum of up to four values, on its own or as the one required field of an
 * object. Anything richer goes to the dashboard form. Email and Telegram share these rules
 * so a checkpoint offers the same buttons everywhere.
 */
export interface AnswerChoice {
  label: string
  response: unknown
}

const MAX_ENUM = 4
type Schema = Record<string, unknown>

const isSchema = (v: unknown): v is Schema => typeof v === 'object' && v !== null && !Array.isArray(v)

function fieldChoices(field: Schema, name?: string): AnswerChoice[] | null {
  const values = Array.isArray(field.enum) ? (field.enum as unknown[]) : null
  if (values && values.length > 0 && values.length <= MAX_ENUM && values.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    return values.map((v) => ({ label: String(v), response: v }))
  }
  if (field.type === 'boolean') {
    // An approval reads better as Approve/Reject than Yes/No.
    const approval = name !== undefined && /approv|accept|allow|confirm|grant/i.test(name)
    return [
      { label: approval ? 'Approve' : 'Yes', response: true },
      { label: approval ? 'Reject' : 'No', response: false },
    ]
  }
  return null
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
  // Only offer what the server would accept; a schema with other constraints needs the form.
  if (!choices || choices.some((c) => valueProblems(schema, c.response).length > 0)) return null
  return choices
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
