import { booleanLabels, choicesAlwaysValid } from '../../common/answer-choices.js'
import { describeValue, enumOf, isNode, properties, requiredOf, typeOf, type SchemaNode } from '../../common/schema-shape.js'

/** One button that answers the checkpoint outright. */
export interface OneClickChoice {
  label: string
  response: unknown
  style?: 'primary' | 'danger'
}

const MAX_ENUM_BUTTONS = 5

function choicesForNode(node: SchemaNode, name?: string): Array<{ label: string; value: unknown; style?: 'primary' | 'danger' }> {
  if (typeOf(node) === 'boolean') {
    // The same labels as email and Telegram (channels/common): Approve/Reject only for a
    // field named as an approval, else Yes/No; never a title.
    const labels = booleanLabels(name)
    return [
      { label: labels.yes, value: true, ...(labels.approval && { style: 'primary' as const }) },
      { label: labels.no, value: false, ...(labels.approval && { style: 'danger' as const }) },
    ]
  }
  const values = enumOf(node)
  if (values && values.length > 0 && values.length <= MAX_ENUM_BUTTONS) return values.map((value) => ({ label: describeValue(value), value }))
  return []
}

/**
 * The one-click answers a schema allows: a boolean (Approve / Reject or Yes / No) or an enum of up to
 * five values, either as the whole answer or as the one required property of an object whose
 * other properties are optional (an approval with an optional note). Every choice must pass
 * the schema, so a button can never produce an answer the server would refuse.
 */
export function oneClickChoices(schema: Record<string, unknown>): OneClickChoice[] {
  let choices: OneClickChoice[] = choicesForNode(schema).map((c) => ({ label: c.label, response: c.value, ...(c.style && { style: c.style }) }))
  if (choices.length === 0) {
    const props = properties(schema)
    const required = [...requiredOf(schema)]
    if (!props || required.length !== 1) return []
    const key = required[0] as string
    const sub = props.find(([name]) => name === key)?.[1]
    if (!sub || !isNode(sub)) return []
    choices = choicesForNode(sub, key).map((c) => ({ label: c.label, response: { [key]: c.value }, ...(c.style && { style: c.style }) }))
  }
  return choicesAlwaysValid(schema) ? choices : []
}

/** True when the schema has more to say than the buttons can (an optional note, other fields). */
export function hasMoreThanChoices(schema: Record<string, unknown>): boolean {
  const props = properties(schema)
  return props !== null && props.length > 1
}
