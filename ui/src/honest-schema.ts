/**
 * Labels can lie: an agent's schema may title the `true` branch of a boolean "Reject", so a
 * reviewer clicking "Reject" would approve. The form is drawn from a copy of the schema in
 * which what a person clicks says the value it sends, as on every other channel:
 *
 * - a boolean (or a choice between boolean constants) shows Yes / No, never the agent's titles;
 * - a choice between other constants shows each title with its value: `Refund in full (full)`;
 * - `enumNames` (labels with no value beside them) are dropped.
 *
 * Only the drawing changes: the server validates the answer against the agent's real schema.
 */

type Node = Record<string, unknown>

const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The single value a branch stands for (`{const}` or a one-value `enum`), if it is one. */
function constantOf(branch: unknown): { value: unknown } | null {
  if (!isNode(branch)) return null
  if ('const' in branch) return { value: branch.const }
  if (Array.isArray(branch.enum) && branch.enum.length === 1) return { value: branch.enum[0] }
  return null
}

export function showValue(value: unknown): string {
  if (value === true) return 'yes'
  if (value === false) return 'no'
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value))
}

function labelFor(title: unknown, value: unknown): string {
  const shown = showValue(value)
  return typeof title === 'string' && title.trim() !== '' && title.trim() !== shown ? `${title} (${shown})` : shown
}

const CHILD_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'] as const
const CHILD_NODES = ['items', 'additionalProperties', 'contains', 'not', 'if', 'then', 'else', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems'] as const
const CHILD_LISTS = ['allOf', 'prefixItems'] as const

export function honestSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(honestSchema)
  if (!isNode(schema)) return schema
  const out: Node = { ...schema }
  delete out.enumNames
  for (const key of ['oneOf', 'anyOf'] as const) {
    const branches = out[key]
    if (!Array.isArray(branches)) continue
    const constants = branches.map(constantOf)
    const allConstant = constants.every((c) => c !== null)
    const booleanChoice = out.type === 'boolean' || (allConstant && constants.every((c) => typeof c?.value === 'boolean'))
    if (booleanChoice) {
      // Drawn as a plain boolean: Yes sends true, No sends false, whatever the titles said.
      delete out[key]
      out.type = 'boolean'
    } else if (allConstant) {
      out[key] = branches.map((b, i) => ({ ...(b as Node), const: constants[i]?.value, title: labelFor((b as Node).title, constants[i]?.value) }))
    } else {
      out[key] = branches.map(honestSchema)
    }
  }
  for (const key of CHILD_MAPS) {
    const map = out[key]
    if (isNode(map)) out[key] = Object.fromEntries(Object.entries(map).map(([k, v]) => [k, honestSchema(v)]))
  }
  for (const key of CHILD_NODES) if (out[key] !== undefined) out[key] = honestSchema(out[key])
  for (const key of CHILD_LISTS) if (Array.isArray(out[key])) out[key] = (out[key] as unknown[]).map(honestSchema)
  return out
}

/** True when the schema names things in its own words (titles, enumNames): then the form also shows the raw values. */
export function hasCustomLabels(schema: unknown): boolean {
  return /"(?:title|enumNames)"\s*:/.test(JSON.stringify(schema) ?? '')
}

/** The answer as it will be sent, one `key: value` per top-level field. */
export function answerLines(data: unknown): Array<{ key: string; value: string }> {
  if (!isNode(data)) return data === undefined ? [] : [{ key: 'answer', value: showValue(data) }]
  return Object.entries(data)
    .filter(([, v]) => v !== undefined)
    .map(([key, v]) => ({ key, value: typeof v === 'boolean' ? `${String(v)} (${showValue(v)})` : showValue(v) }))
}
