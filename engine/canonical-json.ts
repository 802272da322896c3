/**
 * JSON with object keys sorted at every depth, so equal values always hash equally (audit
 * chain links, idempotency fingerprints) whatever order a client sent them in.
 *
 * Written straight to text: the first version built a sorted copy of the value and passed it
 * to JSON.stringify, and those copies (prototype-less, so slow objects) were a visible share
 * of each commit's CPU. The output must stay exactly that version's, since stored audit chains
 * are verified by recomputing it; engine/canonical-json.test.ts holds the two together.
 */
export function canonicalJson(value: unknown): string {
  return write(value) as string
}

// Integer-like keys come first, in numeric order, in any JavaScript object, so JSON.stringify
// of the sorted copy wrote them that way; a sorted list has to be reordered to match.
const ARRAY_INDEX = /^(?:0|[1-9]\d*)$/
const isArrayIndex = (key: string) => ARRAY_INDEX.test(key) && Number(key) < 4294967295

function orderedKeys(value: object): string[] {
  const keys = Object.keys(value).sort()
  if (!keys.some(isArrayIndex)) return keys
  const indexes = keys.filter(isArrayIndex).sort((a, b) => Number(a) - Number(b))
  return [...indexes, ...keys.filter((k) => !isArrayIndex(k))]
}

function write(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) {
    const items = value as unknown[]
    let out = '['
    for (let i = 0; i < items.length; i++) out += `${i > 0 ? ',' : ''}${write(items[i]) ?? 'null'}`
    return `${out}]`
  }
  let out = '{'
  let first = true
  for (const key of orderedKeys(value)) {
    const text = write((value as Record<string, unknown>)[key])
    if (text === undefined) continue
    out += `${first ? '' : ','}${JSON.stringify(key)}:${text}`
    first = false
  }
  return `${out}}`
}
