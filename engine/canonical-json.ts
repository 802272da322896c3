/**
 * JSON with object keys sorted at every depth, so equal values always hash equally (audit
 * chain links, idempotency fingerprints) whatever order a client sent them in.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    // No prototype: a `__proto__` key must become an own property (and so be hashed), not
    // reset the prototype of this copy and silently drop out of the audit chain.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key]
      if (v !== undefined) out[key] = sortKeys(v)
    }
    return out
  }
  return value
}
