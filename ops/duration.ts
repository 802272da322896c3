const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/** `30d`, `12h`, `10s`, `500ms`: a positive whole number and one unit, in milliseconds; null if not. */
export function parseDuration(value: string): number | null {
  const match = /^(\d+)\s*(ms|s|m|h|d|w)$/.exec(value.trim())
  if (!match) return null
  const ms = Number(match[1]) * UNITS[match[2]!]!
  return ms > 0 && Number.isSafeInteger(ms) ? ms : null
}
