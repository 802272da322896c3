/** Small readers over a JSON Schema node, tolerant of anything an agent may send. */
export type SchemaNode = Record<string, unknown>

export function isNode(value: unknown): value is SchemaNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function typeOf(node: SchemaNode): string | undefined {
  const t = node.type
  if (typeof t === 'string') return t
  // `["string", "null"]` is the common way to say "optional string"; take the non-null type.
  if (Array.isArray(t)) {
    const real = t.filter((x) => x !== 'null')
    return real.length === 1 && typeof real[0] === 'string' ? real[0] : undefined
  }
  if (Array.isArray(node.enum)) return 'enum'
  return undefined
}

export function enumOf(node: SchemaNode): unknown[] | null {
  return Array.isArray(node.enum) ? node.enum.filter((v) => v !== null) : null
}

export function properties(node: SchemaNode): Array<[string, SchemaNode]> | null {
  if (typeOf(node) !== 'object' || !isNode(node.properties)) return null
  const out: Array<[string, SchemaNode]> = []
  for (const [name, sub] of Object.entries(node.properties)) {
    if (!isNode(sub)) return null
    out.push([name, sub])
  }
  return out
}

export function requiredOf(node: SchemaNode): Set<string> {
  return new Set(Array.isArray(node.required) ? node.required.filter((r): r is string => typeof r === 'string') : [])
}

export function labelOf(name: string, node: SchemaNode): string {
  if (typeof node.title === 'string' && node.title.trim() !== '') return node.title
  // `amountUsd` / `refund_reason` → "Amount usd" / "Refund reason": readable without a title.
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase()
  return words.charAt(0).toUpperCase() + words.slice(1)
}

export function describeValue(value: unknown): string {
  if (value === true) return 'yes'
  if (value === false) return 'no'
  if (typeof value === 'string') return value
  return JSON.stringify(value) ?? String(value)
}
