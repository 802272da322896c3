import jsonLogic from 'json-logic-js'
import { z } from 'zod'

/**
 * Declared policies (HOLDPOINT_POLICY_FILE): an operator's standing answer to requests that
 * match a JSON Logic condition. JSON Logic rather than our own evaluator: it is a maintained,
 * side-effect-free format that reads data and cannot call out or loop without bound.
 */

/** What a condition sees: the request as the agent sent it. */
export interface PolicyFacts {
  payload: unknown
  metadata: Record<string, unknown>
  task: string
}

const policySchema = z
  .object({
    id: z.string().regex(/^[\w.-]{1,64}$/, 'letters, digits, _ . - only (at most 64)'),
    /** Agent token names (HOLDPOINT_API_TOKENS) whose requests the policy answers. */
    tokens: z.array(z.string().min(1).max(200)).min(1).max(100),
    when: z.record(z.string(), z.unknown()),
    response: z.unknown().refine((v) => v !== undefined, { message: 'is required' }),
    note: z.string().trim().min(1).max(500).optional(),
  })
  .strict()

export type Policy = z.output<typeof policySchema>

const policyFileSchema = z.array(policySchema).max(1000)

/** Parses and checks a policy file's text; throws one message naming every problem. */
export function parsePolicies(text: string, label: string): Policy[] {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (error) {
    throw new Error(`${label} is not JSON: ${(error as Error).message}`, { cause: error })
  }
  const parsed = policyFileSchema.safeParse(raw)
  if (!parsed.success) {
    throw new Error(`${label} is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')}`)
  }
  const problems: string[] = []
  const seen = new Set<string>()
  parsed.data.forEach((policy, i) => {
    if (seen.has(policy.id)) problems.push(`${i}.id: ${policy.id} is used twice`)
    seen.add(policy.id)
    // An unknown operator only throws when evaluated: try each condition once now, so a typo
    // is refused at load instead of silently never matching.
    if (!jsonLogic.is_logic(policy.when)) problems.push(`${i}.when: is not a JSON Logic rule`)
    else {
      try {
        jsonLogic.apply(policy.when, { payload: {}, metadata: {}, task: '' })
      } catch (error) {
        problems.push(`${i}.when: ${(error as Error).message}`)
      }
    }
  })
  if (problems.length > 0) throw new Error(`${label} is invalid: ${problems.join('; ')}`)
  return parsed.data
}

/** True when the policy covers this token and its condition holds (JSON Logic truthiness). */
export function policyMatches(policy: Policy, token: string, facts: PolicyFacts): boolean {
  if (!policy.tokens.includes(token)) return false
  try {
    return jsonLogic.truthy(jsonLogic.apply(policy.when, facts))
  } catch {
    // A condition that fails on this payload's shape does not match: a person decides.
    return false
  }
}
