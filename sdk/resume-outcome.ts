// What every workflow-engine adapter does with a resume: turn the event Holdpoint sent into
// the typed answer, or into the same typed error `awaitHuman` would throw. Shared so an
// agent sees one behaviour whether it was woken by a webhook, Inngest, LangGraph or Temporal.
import type { z } from 'zod'
import type { Checkpoint } from './types.js'
import { settle, type WaitResult } from './wait.js'
import type { ResumeEvent } from './webhook.js'

/** The parts of a resume event an adapter needs; `ResumeEvent['data']` and Inngest `event.data` fit. */
export type ResumeData = Pick<ResumeEvent['data'], 'checkpointId' | 'state' | 'response' | 'respondedBy'> & {
  metadata?: Record<string, unknown> | null
}

/**
 * A checkpoint as far as the resume tells it. Errors carry it as `error.checkpoint`; fields a
 * resume does not carry (task, schemas, links) are empty rather than invented.
 */
export function checkpointOf(data: ResumeData): Checkpoint {
  return {
    id: data.checkpointId,
    state: data.state,
    task: '',
    payload: null,
    responseSchema: {},
    response: data.response ?? null,
    respondedBy: data.respondedBy ?? null,
    createdAt: '',
    updatedAt: '',
    expiresAt: null,
    links: { dashboard: '' },
    metadata: data.metadata ?? {},
  }
}

/** The answer parsed by `responseSchema`, or a CheckpointEndedError subclass saying why there is none. */
export function outcomeOf<S extends z.ZodType>(data: ResumeData, responseSchema: S): WaitResult<z.output<S>> {
  return settle(checkpointOf(data), responseSchema)
}
