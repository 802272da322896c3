// zod is how agents describe shapes; JSON Schema is how the server (and every channel that
// renders a form) reads them. This file is the one bridge between the two.
import { z } from 'zod'
import { CheckpointValidationError, type ProblemFieldError } from './errors.js'
import { toJsonPointer } from './json-pointer.js'
import type { JsonSchema } from './types.js'

/**
 * Converts a zod schema to draft-07 JSON Schema (the dialect a default Ajv understands),
 * without `$schema` so the server can compile it under whichever dialect it uses.
 *
 * The *input* side is described: a human's answer is what the agent's schema will parse, so
 * defaults and transforms must not make the server demand fields the zod schema would fill in.
 */
export function toJsonSchema(schema: z.ZodType, label: string): JsonSchema {
  let json: Record<string, unknown>
  try {
    json = z.toJSONSchema(schema, { target: 'draft-07', io: 'input' })
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CheckpointValidationError(`${label} cannot be expressed as JSON Schema: ${reason}`, [
      { path: '', message: reason },
    ], { cause: error })
  }
  const { $schema: _dialect, ...rest } = json
  return rest
}

/** Checks `value` locally so a bad payload fails in the agent, with the same error shape as a server 422. */
export function assertMatches(schema: z.ZodType, value: unknown, where: string, label: string): void {
  const result = schema.safeParse(value)
  if (result.success) return
  const errors: ProblemFieldError[] = result.error.issues.map((issue) => ({
    path: where + toJsonPointer(issue.path),
    message: issue.message,
  }))
  const summary = errors.map((e) => `${e.path} ${e.message}`).join('; ')
  throw new CheckpointValidationError(`${label} does not match its schema: ${summary}`, errors)
}
