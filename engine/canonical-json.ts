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
const isArrayIndex = (key: string) => {
  // Most keys do not start with a digit: no need to run the pattern on them.
  const first = key.charCodeAt(0)
  return first >= 48 && first <= 57 && ARRAY_INDEX.test(key) && Number(key) < 4294967295
}

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

/**
 * Whether `a` and `b` have the same canonical JSON, without writing it: the snapshot encoder
 * asks this of every context field on every commit, and writing both texts was most of its
 * cost. Same rules as `write`: key order does not matter, keys holding undefined do not
 * exist, undefined in an array is null.
 */
export function sameCanonical(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return write(a) === write(b)
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!sameCanonical(a[i] ?? null, b[i] ?? null)) return false
    return true
  }
  const x = a as Record<string, unknown>
  const y = b as Record<string, unknown>
  let present = 0
  for (const key of Object.keys(x)) {
    const v = x[key]
    if (v === undefined) continue
    present++
    if (!Object.prototype.hasOwnProperty.call(y, key) || y[key] === undefined || !sameCanonical(v, y[key])) return false
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined) present--
  return present === 0
}
