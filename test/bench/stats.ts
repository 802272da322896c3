/** Percentiles and a progress bar: the small pieces every bench scenario shares. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[i]!
}

export interface Summary {
  n: number
  p50: number
  p95: number
  p99: number
  max: number
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b)
  const r = (x: number) => Math.round(x * 100) / 100
  return { n: sorted.length, p50: r(percentile(sorted, 50)), p95: r(percentile(sorted, 95)), p99: r(percentile(sorted, 99)), max: r(sorted.at(-1) ?? NaN) }
}

export class Progress {
  private done = 0
  private lastDraw = 0
  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  tick(n = 1): void {
    this.done += n
    const now = Date.now()
    // Redrawing only makes sense on a terminal; in a log, print the finished line once.
    if (!process.stderr.isTTY && this.done < this.total) return
    if (now - this.lastDraw < 100 && this.done < this.total) return
    this.lastDraw = now
    const width = 30
    const filled = Math.round((this.done / this.total) * width)
    process.stderr.write(`\r${this.label.padEnd(34)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${this.done}/${this.total}`)
    if (this.done >= this.total) process.stderr.write('\n')
  }
}

export async function runPool(total: number, concurrency: number, task: (i: number) => Promise<void>, progress?: Progress): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(concurrency, total) }, async () => {
      while (next < total) {
        const i = next++
        await task(i)
        progress?.tick()
      }
    }),
  )
}

/**
 * Keeps `concurrency` tasks in flight for `rampMs + windowMs`, then lets the last ones finish,
 * and returns how many finished inside the window (after the ramp). Every side is so measured
 * at full concurrency over the same length of time, whatever its speed: a fixed number of tasks
 * per round would give a fast side shorter rounds, and the best of several short rounds is
 * more likely to land on a quiet moment of a shared machine.
 */
export async function runFor(rampMs: number, windowMs: number, concurrency: number, task: () => Promise<void>): Promise<number> {
  const from = performance.now() + rampMs
  const until = from + windowMs
  let inWindow = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await task()
        const at = performance.now()
        if (at >= from && at < until) inWindow++
      }
    }),
  )
  return inWindow
}
