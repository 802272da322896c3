/**
 * Schemas this process has read or written, by content hash. A hash names one text forever,
 * so an entry never goes stale (a schema removed from Redis and stored again is the same
 * text); the cache is what keeps a load at one round trip. Bounded by total characters,
 * least recently used first out, so agents sending a new schema per checkpoint only churn it.
 */
export class SchemaCache {
  private readonly entries = new Map<string, string>()
  private size = 0

  constructor(private readonly maxChars = 4_000_000) {}

  get(hash: string): string | undefined {
    const json = this.entries.get(hash)
    if (json !== undefined) {
      // Map keeps insertion order: re-inserting makes this the most recently used.
      this.entries.delete(hash)
      this.entries.set(hash, json)
    }
    return json
  }

  set(hash: string, json: string): void {
    if (this.entries.has(hash) || json.length > this.maxChars) return
    this.entries.set(hash, json)
    this.size += json.length
    for (const [oldest, text] of this.entries) {
      if (this.size <= this.maxChars) break
      this.entries.delete(oldest)
      this.size -= text.length
    }
  }
}
