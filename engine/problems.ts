import type { z } from 'zod'

/** One failing location in a request, as a JSON pointer (RFC 6901) and a sentence. */
export interface FieldProblem {
  path: string
  message: string
}

export function pointer(segments: ReadonlyArray<PropertyKey>): string {
  if (segments.length === 0) return ''
  return '/' + segments.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')
}

export function problemsFromZod(error: z.ZodError, base: ReadonlyArray<PropertyKey> = []): FieldProblem[] {
  return error.issues.map((issue) => ({ path: pointer([...base, ...issue.path]), message: issue.message }))
}

/** A request that fails validation. Carries every failing path so callers can fix all at once. */
export class ValidationFailed extends Error {
  constructor(
    readonly problems: FieldProblem[],
    message = 'The request is not valid.',
  ) {
    super(message)
    this.name = 'ValidationFailed'
  }
}
