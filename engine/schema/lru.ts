/**
 * A least-recently-used map bounded by entry count and by total weight, so a few huge
 * schemas cannot pin a worker's heap the way many small ones would not.
 */
export class WeightedLru<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>()
  private weight = 0

  constructor(
    private readonly maxEntries: number,
    private readonly maxWeight: number,
  ) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    // Re-inserting moves the key to the end of Map's insertion order: the most recent.
    this.entries.delete(key)
    this.entries.set(key, hit)
    return hit.value
  }

  set(key: string, value: V, weight: number): void {
    const old = this.entries.get(key)
    if (old) {
      this.weight -= old.weight
      this.entries.delete(key)
    }
    this.entries.set(key, { value, weight })
    this.weight += weight
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.weight <= this.maxWeight) break
      if (oldest === key) break
      this.entries.delete(oldest)
      this.weight -= entry.weight
    }
  }

  clear(): void {
    this.entries.clear()
    this.weight = 0
  }

  get size(): number {
    return this.entries.size
  }
}
