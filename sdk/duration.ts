// Agents write timeouts the way people say them ('15m', '1h30m'); the wire carries seconds.
import { InvalidDurationError } from './errors.js'

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const
type Unit = keyof typeof UNIT_SECONDS
const ORDER: readonly Unit[] = ['d', 'h', 'm', 's']
const PART = /(\d+)([dhms])/y

/**
 * Parses `'30s'`, `'15m'`, `'2h'`, `'1d'` or a combination from largest unit to smallest
 * (`'1h30m'`, `'1d12h'`) into whole seconds. Zero, negative, fractional, repeated or
 * out-of-order units are refused rather than guessed at.
 */
export function parseDuration(input: string): number {
  if (typeof input !== 'string') throw new InvalidDurationError(input, 'expected a string such as "15m"')
  const text = input.trim().toLowerCase()
  if (text === '') throw new InvalidDurationError(input, 'empty; expected e.g. "30s", "15m", "2h", "1d" or "1h30m"')

  let seconds = 0
  let lastUnit = -1
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex
    const match = PART.exec(text)
    if (match === null) {
      throw new InvalidDurationError(
        input,
        `unexpected "${text.slice(at)}"; expected whole numbers with units d, h, m or s, e.g. "1h30m"`,
      )
    }
    const unit = match[2] as Unit
    const rank = ORDER.indexOf(unit)
    if (rank <= lastUnit) throw new InvalidDurationError(input, `units must appear once each, largest first (d, h, m, s)`)
    lastUnit = rank
    seconds += Number(match[1]) * UNIT_SECONDS[unit]
  }
  if (!Number.isSafeInteger(seconds)) throw new InvalidDurationError(input, 'too large')
  if (seconds <= 0) throw new InvalidDurationError(input, 'must be longer than zero')
  return seconds
}

/** A `timeout` option (duration string or seconds) as the `timeoutSeconds` the server expects. */
export function toTimeoutSeconds(timeout: string | number): number {
  if (typeof timeout === 'string') return parseDuration(timeout)
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout <= 0) {
    throw new InvalidDurationError(timeout, 'a number timeout is whole seconds greater than zero')
  }
  return timeout
}
