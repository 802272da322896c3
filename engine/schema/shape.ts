import type { FieldProblem } from '../problems.js'
import type { ValidationLimits } from './limits.js'

/**
 * Size checks that need no compiler: bytes, key count and nesting. They run on the main
 * thread before a schema reaches a worker, because they are linear and because a refusal
 * that names the exceeded limit is more useful to an agent than a timeout.
 */
export function shapeProblems(schema: unknown, bytes: number, at: string, limits: ValidationLimits): FieldProblem[] {
  if (bytes > limits.maxSchemaBytes) {
    return [{ path: at, message: `is ${bytes} bytes as JSON; schemas may be at most ${limits.maxSchemaBytes} bytes (HOLDPOINT_SCHEMA_MAX_BYTES)` }]
  }
  let keys = 0
  const stack: Array<[unknown, number]> = [[schema, 1]]
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!
    if (current === null || typeof current !== 'object') continue
    if (depth > limits.maxSchemaDepth) return [{ path: at, message: `nests objects and arrays more than ${limits.maxSchemaDepth} levels deep; that is the limit for schemas` }]
    const children = Array.isArray(current) ? current : Object.values(current as Record<string, unknown>)
    if (!Array.isArray(current)) keys += children.length
    if (keys > limits.maxSchemaKeys) return [{ path: at, message: `has more than ${limits.maxSchemaKeys} properties in all; that is the limit for schemas` }]
    for (const child of children) if (child !== null && typeof child === 'object') stack.push([child, depth + 1])
  }
  return []
}
