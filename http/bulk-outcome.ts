import { under, type AnswerOutcome } from '../engine/answer-outcome.js'
import type { FieldProblem } from '../engine/problems.js'

/**
 * One item of a many-answers call, in the words of the HTTP status its single-answer route
 * would have used: each item is answered (validated, audited) on its own, so one bad item
 * never fails the others.
 */
export interface BulkItemResult {
  id: string
  status: 200 | 404 | 409 | 422
  /** The checkpoint's state after the attempt, when it exists. */
  state?: string
  /** Why it was not recorded: `invalid_response`, a refusal code, `finished` or `busy`. */
  code?: string
  errors?: FieldProblem[]
}

const REFUSAL_WORDS: Record<string, string> = {
  verifying: 'an answer is being verified',
  duplicate_answer: 'this person has already answered',
  not_assigned: 'not assigned to this actor',
  claimed_by_other: 'claimed by someone else',
  stale: 'changed meanwhile',
  not_applicable: 'does not take an answer now',
}

export function bulkItemResult(outcome: AnswerOutcome): BulkItemResult {
  switch (outcome.status) {
    case 'recorded':
      return { id: outcome.checkpoint.id, status: 200, state: outcome.checkpoint.state }
    case 'invalid':
      return { id: outcome.checkpoint.id, status: 422, state: outcome.checkpoint.state, code: 'invalid_response', errors: under('/response', outcome.problems) }
    case 'refused':
      return {
        id: outcome.checkpoint.id,
        status: 409,
        state: outcome.checkpoint.state,
        code: outcome.refusal.code,
        errors: [{ path: '', message: REFUSAL_WORDS[outcome.refusal.code] ?? outcome.refusal.code }],
      }
    case 'finished':
      return { id: outcome.checkpoint.id, status: 409, state: outcome.checkpoint.state, code: 'finished', errors: [{ path: '', message: `already ${outcome.checkpoint.state}` }] }
    case 'not_found':
      return { id: outcome.id, status: 404 }
    case 'busy':
      // Too many writers at once; the item is untouched and may simply be sent again.
      return { id: outcome.id, status: 409, code: 'busy', errors: [{ path: '', message: 'busy; try this item again' }] }
  }
}
