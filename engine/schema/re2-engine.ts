import { RE2JS } from 're2js'

/** What ajv calls with each `pattern` / `patternProperties` source (ajv's `code.regExp` option). */
export interface RegExpEngine {
  (pattern: string, flags: string): { test: (input: string) => boolean }
  code: string
}

/** A pattern the linear-time engine refuses: backreferences, lookaround and the like. */
export class UnsupportedPattern extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`pattern ${JSON.stringify(pattern)} is not supported: ${reason} (patterns run on a linear-time engine, RE2 syntax: no backreferences or lookahead)`)
    this.name = 'UnsupportedPattern'
  }
}

/**
 * JSON Schema patterns through RE2 (re2js, pure JS) instead of V8's backtracking engine, so
 * `^(a+)+$` against `aaaa…!` costs linear time rather than exponential.
 */
export const re2Engine: RegExpEngine = Object.assign(
  (pattern: string, flags: string) => {
    let compiled: RE2JS
    try {
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
    } catch (error) {
      throw new UnsupportedPattern(pattern, (error as Error).message.replace(/^error parsing regexp: /, ''))
    }
    return {
      test: (input: string) => compiled.test(input),
      // ajv keys compiled patterns by this string: without it every pattern would share the first one.
      toString: () => `/${pattern}/${flags}`,
    }
  },
  { code: 're2js' },
)
