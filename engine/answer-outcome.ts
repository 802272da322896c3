import type { Refusal } from '../machine/index.js'
import type { Actor } from '../machine/types.js'
import type { LoadedCheckpoint } from './checkpoint-store.js'
import { CheckpointNotFound, CommitContention, EventRefused } from './errors.js'
import { ValidationFailed, type FieldProblem } from './problems.js'

/**
 * What every surface hands the engine when a person (or a service on their behalf) answers,
 * claims or releases. The engine validates, routes, audits and records; surfaces only map the
 * outcome to their own words.
 */
export interface AnswerInput {
  id: string
  by: Actor
  response: unknown
  /** How it arrived, for the audit (`api`, `dashboard`, `email-link`, `<channel>.form`, …). */
  via: string
  /** Hash of what the person was shown; defaults to the request's own hash. */
  shownHash?: string
  /** Further audit facts (a message id, a device). Never secrets. */
  data?: Record<string, unknown>
  /** The caller's own load of this checkpoint, just made: the engine uses it instead of loading again (a lost race still reloads). */
  loaded?: LoadedCheckpoint
}

export interface PersonalActInput {
  id: string
  by: Actor
  via: string
  data?: Record<string, unknown>
  /** As for AnswerInput. */
  loaded?: LoadedCheckpoint
}

/** The outcomes an answer can have. `problems` paths are relative to the response itself. */
export type AnswerOutcome =
  | { status: 'recorded'; checkpoint: LoadedCheckpoint }
  | { status: 'invalid'; problems: FieldProblem[]; checkpoint: LoadedCheckpoint }
  | { status: 'refused'; refusal: Exclude<Refusal, { code: 'terminal' }>; checkpoint: LoadedCheckpoint }
  | { status: 'finished'; checkpoint: LoadedCheckpoint }
  | { status: 'not_found'; id: string }
  | { status: 'busy'; id: string }

/** Problem paths as a request body sees them (`/response/approved` rather than `/approved`). */
export function under(base: string, problems: readonly FieldProblem[]): FieldProblem[] {
  return problems.map((p) => ({ path: `${base}${p.path}`, message: p.message }))
}

/**
 * For HTTP surfaces that speak problem+json: the recorded checkpoint, or the matching error
 * (422 with each path under `base`, 403/409 refusals, 404, 503) for the shared middleware.
 */
export function recordedOrThrow(outcome: AnswerOutcome, base = ''): LoadedCheckpoint {
  switch (outcome.status) {
    case 'recorded':
      return outcome.checkpoint
    case 'invalid':
      throw new ValidationFailed(under(base, outcome.problems), 'The answer does not match the checkpoint’s responseSchema.')
    case 'refused':
      throw new EventRefused(outcome.checkpoint.id, outcome.refusal)
    case 'finished':
      throw new EventRefused(outcome.checkpoint.id, { code: 'terminal', state: outcome.checkpoint.state })
    case 'not_found':
      throw new CheckpointNotFound(outcome.id)
    case 'busy':
      throw new CommitContention(outcome.id)
  }
}
