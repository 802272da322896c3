import { describe, expect, it } from 'vitest'
import { parseDuration, toTimeoutSeconds } from './duration.js'
import { InvalidDurationError } from './errors.js'

describe('parseDuration', () => {
  it.each([
    ['30s', 30],
    ['15m', 900],
    ['2h', 7_200],
    ['1d', 86_400],
    ['1h30m', 5_400],
    ['1d12h', 129_600],
    ['1d2h3m4s', 93_784],
    [' 90M ', 5_400],
  ])('%s is %i seconds', (input, seconds) => {
    expect(parseDuration(input)).toBe(seconds)
  })

  it.each([
    ['', /empty/],
    ['15', /unexpected "15"/],
    ['15x', /unexpected/],
    ['1.5h', /unexpected/],
    ['-5m', /unexpected/],
    ['30m1h', /largest first/],
    ['1h1h', /largest first/],
    ['0s', /longer than zero/],
    ['1h 30m', /unexpected/],
  ])('refuses %j', (input, message) => {
    expect(() => parseDuration(input)).toThrow(InvalidDurationError)
    expect(() => parseDuration(input)).toThrow(message)
  })
})

describe('toTimeoutSeconds', () => {
  it('takes a duration string or whole seconds', () => {
    expect(toTimeoutSeconds('15m')).toBe(900)
    expect(toTimeoutSeconds(45)).toBe(45)
  })

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('refuses %d', (input) => {
    expect(() => toTimeoutSeconds(input)).toThrow(InvalidDurationError)
  })
})
