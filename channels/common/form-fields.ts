import { describeValue, enumOf, isNode, labelOf, properties, requiredOf, typeOf, type SchemaNode } from './schema-shape.js'

/**
 * JSON Schema → the flat list of inputs a chat form (a modal, a card) can show. Only flat schemas map: an object
 * of scalar properties (or one scalar answer). Anything else (nested objects, arrays of
 * objects, oneOf) returns null and the person gets a signed link to the dashboard form.
 */
export type FieldKind = 'text' | 'multiline' | 'number' | 'select' | 'radio' | 'checkboxes' | 'date' | 'email' | 'url' | 'boolean'

export interface FormField {
  /** Property name, or null when the field is the whole answer. */
  name: string | null
  label: string
  hint?: string
  kind: FieldKind
  required: boolean
  integer?: boolean
  min?: number
  max?: number
  maxLength?: number
  options?: Array<{ label: string; value: unknown }>
}

const MAX_FIELDS = 40
const MAX_RADIO = 5
const MAX_SELECT = 100
const MAX_CHECKBOXES = 10
const MULTILINE_FROM = 200

function enumOptions(values: unknown[]): Array<{ label: string; value: unknown }> {
  return values.map((value) => ({ label: describeValue(value).slice(0, 75), value }))
}

function fieldFor(name: string | null, node: SchemaNode, required: boolean): FormField | null {
  const base = { name, label: labelOf(name ?? 'answer', node).slice(0, 2000), required, ...(typeof node.description === 'string' && { hint: node.description.slice(0, 2000) }) }
  const type = typeOf(node)
  const values = enumOf(node)
  if (values && values.length > 0) {
    if (values.length > MAX_SELECT) return null
    return { ...base, kind: values.length <= MAX_RADIO ? 'radio' : 'select', options: enumOptions(values) }
  }
  switch (type) {
    case 'boolean':
      return { ...base, kind: 'boolean', options: enumOptions([true, false]) }
    case 'number':
    case 'integer':
      return {
        ...base,
        kind: 'number',
        integer: type === 'integer',
        ...(typeof node.minimum === 'number' && { min: node.minimum }),
        ...(typeof node.maximum === 'number' && { max: node.maximum }),
      }
    case 'string': {
      if (node.format === 'email') return { ...base, kind: 'email' }
      if (node.format === 'uri' || node.format === 'url') return { ...base, kind: 'url' }
      if (node.format === 'date') return { ...base, kind: 'date' }
      const maxLength = typeof node.maxLength === 'number' ? Math.min(node.maxLength, 3000) : undefined
      const multiline = node.format === 'textarea' || node['x-multiline'] === true || maxLength === undefined || maxLength > MULTILINE_FROM
      return { ...base, kind: multiline ? 'multiline' : 'text', ...(maxLength !== undefined && { maxLength }) }
    }
    case 'array': {
      const items = isNode(node.items) ? enumOf(node.items) : null
      if (!items || items.length === 0 || items.length > MAX_CHECKBOXES) return null
      return { ...base, kind: 'checkboxes', options: enumOptions(items) }
    }
    default:
      return null
  }
}

export function formFields(schema: Record<string, unknown>): FormField[] | null {
  const props = properties(schema)
  if (props === null) {
    const single = fieldFor(null, schema, true)
    return single ? [single] : null
  }
  if (props.length === 0 || props.length > MAX_FIELDS) return null
  const required = requiredOf(schema)
  const fields: FormField[] = []
  for (const [name, node] of props) {
    const field = fieldFor(name, node, required.has(name))
    if (!field) return null
    fields.push(field)
  }
  return fields
}
