import type { ErrorObject } from 'ajv'
import { pointer, type FieldProblem } from '../problems.js'

function describeOne(error: ErrorObject): FieldProblem {
  // A missing property fails at its parent; point at the property itself, which is what a form shows.
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty
    return { path: `${error.instancePath}${pointer([missing])}`, message: 'is required' }
  }
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty
    return { path: `${error.instancePath}${pointer([extra])}`, message: 'is not allowed by the schema' }
  }
  return { path: error.instancePath, message: error.message ?? 'is invalid' }
}

const under = (path: string, parent: string) => path === parent || path.startsWith(`${parent}/`)

/**
 * ajv's errors as problems under `base`: each failed oneOf/anyOf replaces its branches'
 * errors with one summary, duplicates are dropped, and at most `max` are reported, the last
 * saying how many were cut. With nesting and $ref, branch errors multiply with every level,
 * and a person filling a form learns nothing from every alternative's complaint.
 */
export function describeErrors(errors: readonly ErrorObject[], base: string, max: number): FieldProblem[] {
  const kept: Array<{ at: string; problem: FieldProblem }> = []
  for (const error of errors) {
    if (error.keyword === 'oneOf' || error.keyword === 'anyOf') {
      // ajv reports a failed alternative right after its branches' errors, all at or under its
      // path (their schemaPath restarts at each $ref target, so it cannot tell them apart).
      while (kept.length > 0 && under(kept[kept.length - 1]!.at, error.instancePath)) kept.pop()
    }
    kept.push({ at: error.instancePath, problem: describeOne(error) })
  }
  const seen = new Set<string>()
  const problems: FieldProblem[] = []
  let cut = 0
  for (const { problem: p } of kept) {
    const problem = { path: `${base}${p.path}`, message: p.message }
    const key = `${problem.path}\u0000${problem.message}`
    if (seen.has(key)) continue
    seen.add(key)
    if (problems.length < max) problems.push(problem)
    else cut++
  }
  if (cut > 0) problems.push({ path: base, message: `${cut} more problems were not reported (at most ${max} are)` })
  return problems
}
