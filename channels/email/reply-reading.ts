import { enumOf, isNode, properties, requiredOf, typeOf, type SchemaNode } from '../common/schema-shape.js'
import { firstParagraph } from './reply-text.js'

/**
 * Reading a reply without a model, for the schemas where the words leave no doubt: a yes/no
 * decision (its first word decides, the rest of the first paragraph is the note), a single
 * enum (a value or its title), a single number or string. Anything else, or any doubt, is
 * `unclear`: a model may propose an answer, or the person is asked again.
 */
export type Reading = { kind: 'answer'; response: unknown } | { kind: 'unclear'; why: string }

const YES = new Set(['yes', 'y', 'yeah', 'yep', 'approve', 'approved', 'ok', 'okay', 'accept', 'accepted', 'allow', 'confirm', 'confirmed', '👍'])
const NO = new Set(['no', 'n', 'nope', 'reject', 'rejected', 'deny', 'denied', 'decline', 'declined', '👎'])
const EDGE_PUNCTUATION = /^[\s"'“”‘’`*_.,;:!?()[\]{}–—-]+|[\s"'“”‘’`*_.,;:!?()[\]{}–—-]+$/gu

const clean = (s: string) => s.replace(EDGE_PUNCTUATION, '').toLowerCase()

/** The decision word and what follows it, or null when the first word is neither yes nor no. */
export function decision(paragraph: string): { approved: boolean; rest: string } | null {
  const text = paragraph.trim()
  // 👍 and 👎 need no space after them.
  for (const [emoji, approved] of [['👍', true], ['👎', false]] as const) {
    if (text.startsWith(emoji)) return { approved, rest: restAfter(text.slice(emoji.length).replace(/^(?:[\u{1F3FB}-\u{1F3FF}]|\uFE0F)+/u, '')) }
  }
  const match = /^(\S+)(.*)$/su.exec(text)
  if (!match) return null
  const word = clean(match[1]!)
  const approved = YES.has(word) ? true : NO.has(word) ? false : null
  return approved === null ? null : { approved, rest: restAfter(match[2]!) }
}

function restAfter(s: string): string {
  return s.replace(/^[\s.,;:!?–—-]+/u, '').trim()
}

interface FieldShape {
  /** Null when the schema is the field itself rather than an object around it. */
  key: string | null
  node: SchemaNode
}

/** The field an object schema hinges on (the only required one, or the only one), or the schema itself. */
function soleField(schema: SchemaNode): FieldShape | null {
  const props = properties(schema)
  if (!props) return typeOf(schema) === 'object' ? null : { key: null, node: schema }
  const required = [...requiredOf(schema)]
  const key = required.length === 1 ? required[0] : required.length === 0 && props.length === 1 ? props[0]?.[0] : undefined
  const found = props.find(([name]) => name === key)
  return found ? { key: found[0], node: found[1] } : null
}

/** The string field that takes the reason, beside a decision: `note`, or the only other string. */
function noteField(schema: SchemaNode, decisionKey: string): { key: string; maxLength: number | null } | null {
  const others = (properties(schema) ?? []).filter(([name]) => name !== decisionKey)
  const strings = others.filter(([, node]) => typeOf(node) === 'string' && enumOf(node) === null)
  const chosen = strings.find(([name]) => name === 'note') ?? (strings.length === 1 ? strings[0] : undefined)
  if (!chosen) return null
  const max = chosen[1].maxLength
  return { key: chosen[0], maxLength: typeof max === 'number' ? max : null }
}

const wrap = (key: string | null, value: unknown, extra: Record<string, unknown> = {}) => (key === null ? value : { [key]: value, ...extra })

/** Enum values with their titles: plain `enum`, or `oneOf`/`anyOf` of `{ const, title }`. */
function choicesOf(node: SchemaNode): Array<{ value: unknown; names: string[] }> | null {
  const plain = enumOf(node)
  if (plain) return plain.map((v) => ({ value: v, names: [String(v)] }))
  const options = Array.isArray(node.oneOf) ? node.oneOf : Array.isArray(node.anyOf) ? node.anyOf : null
  if (!options || !options.every((o) => isNode(o) && 'const' in o)) return null
  return (options as SchemaNode[]).map((o) => ({ value: o.const, names: [String(o.const), ...(typeof o.title === 'string' ? [o.title] : [])] }))
}

function readEnum(choices: Array<{ value: unknown; names: string[] }>, paragraph: string): unknown {
  const whole = clean(paragraph)
  const first = clean(paragraph.split(/\s+/)[0] ?? '')
  for (const candidate of [whole, first]) {
    const hits = choices.filter((c) => c.names.some((n) => clean(n) === candidate))
    if (hits.length === 1) return hits[0]!.value
  }
  return undefined
}

function readNumber(paragraph: string, integer: boolean): number | undefined {
  const match = /^[^\d-]{0,3}(-?\d[\d,_ ]*(\.\d+)?)\s*\S{0,12}$/u.exec(paragraph.trim())
  if (!match) return undefined
  const value = Number(match[1]!.replace(/[,_ ]/g, ''))
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) return undefined
  return value
}

export function readReply(schema: SchemaNode, text: string): Reading {
  const paragraph = firstParagraph(text)
  if (paragraph === '') return { kind: 'unclear', why: 'the reply is empty' }
  const field = soleField(schema)
  if (!field) return { kind: 'unclear', why: 'the request asks for more than one value' }
  const type = typeOf(field.node)
  const choices = choicesOf(field.node)
  if (choices) {
    const value = readEnum(choices, paragraph)
    return value === undefined ? { kind: 'unclear', why: 'the reply does not name one of the choices' } : { kind: 'answer', response: wrap(field.key, value) }
  }
  if (type === 'boolean') {
    const said = decision(paragraph)
    if (!said) return { kind: 'unclear', why: 'the reply does not start with yes or no' }
    const note = field.key === null ? null : noteField(schema, field.key)
    const text = note && said.rest !== '' ? (note.maxLength !== null ? said.rest.slice(0, note.maxLength) : said.rest) : null
    return { kind: 'answer', response: wrap(field.key, said.approved, note && text !== null ? { [note.key]: text } : {}) }
  }
  if (type === 'number' || type === 'integer') {
    const value = readNumber(paragraph, type === 'integer')
    return value === undefined ? { kind: 'unclear', why: 'the reply is not a number' } : { kind: 'answer', response: wrap(field.key, value) }
  }
  if (type === 'string') return { kind: 'answer', response: wrap(field.key, text.trim()) }
  return { kind: 'unclear', why: 'the request asks for more than a word' }
}
