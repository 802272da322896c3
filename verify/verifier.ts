import type { ModelVerdict, Verdict, VerifyInput } from './verdict.js'

/** Where one checkpoint's verifier is, as the agent asked (`verify.model`, `verify.url`). */
export interface VerifyTarget {
  model?: string
  url?: string
}

/** One kind of verifier (`anthropic`, `openai`, `webhook`, `function:<name>`). */
export interface Verifier {
  readonly name: string
  verify(input: VerifyInput, target: VerifyTarget): Promise<ModelVerdict>
}

/**
 * A verifier that runs in the embedding process (Holdpoint used as a library). It gets the
 * same input a model would (no payload when `redact`) and returns `{ passed, reason,
 * response? }`; throwing means "try again later", never a failed verdict.
 */
export type VerifierFunction = (input: VerifyInput) => Promise<Verdict>

export const FUNCTION_PREFIX = 'function:'

export function functionVerifier(name: string, fn: VerifierFunction): Verifier {
  return {
    name: `${FUNCTION_PREFIX}${name}`,
    async verify(input) {
      const verdict = await fn(input)
      return { ...verdict, model: `${FUNCTION_PREFIX}${name}` }
    },
  }
}
