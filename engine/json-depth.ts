/**
 * Nesting depth of a parsed JSON value, measured without recursion. Everything downstream
 * (canonical JSON for the audit chain and idempotency, ajv, the field cipher) walks values
 * recursively, so a 10k-level body would exhaust the stack there; it is refused here instead.
 */
export const MAX_JSON_DEPTH = 100

/** True when `value` nests objects/arrays deeper than `max` levels. */
export function nestedDeeperThan(value: unknown, max: number = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (current === null || typeof current !== 'object') continue
    if (depth > max) return true
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
    }
  }
  return false
}
