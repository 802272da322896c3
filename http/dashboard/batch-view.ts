import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { decisionPair, oneClickChoices, type AnswerChoice } from '../../channels/common/answer-choices.js'
import { isTerminal } from '../../machine/types.js'
import { maySee, permissionsFor, type Viewer } from './viewer.js'

/** A batch as the dashboard names it: any member's id opens it (no agent token names in URLs). */
export interface BatchRef {
  id: string
  title: string
}

/** One member as the batch page shows it. */
export interface BatchItem {
  id: string
  state: string
  task: string
  payload: unknown
  /** One-click answers the schema allows, or null when it needs the form. */
  choices: AnswerChoice[] | null
  /** The approve/reject pair when the decision is one boolean: "Approve all" sends these. */
  decision: { approve: unknown; reject: unknown } | null
  canAnswer: boolean
  /** Why the viewer cannot answer here (not assigned, claimed, needs the form), or null. */
  reason: string | null
  response: unknown
}

export interface BatchPage {
  batch: BatchRef
  /** The member id the page was opened with, for links back. */
  openedWith: string
  items: BatchItem[]
}

export function batchItem(cp: LoadedCheckpoint, viewer: Viewer): BatchItem {
  const choices = oneClickChoices(cp.request.responseSchema)
  const can = permissionsFor(viewer, cp)
  const open = !isTerminal(cp.state)
  return {
    id: cp.id,
    state: cp.state,
    task: cp.request.task,
    payload: cp.request.payload ?? null,
    choices,
    decision: decisionPair(choices),
    canAnswer: can.answer,
    reason: !can.answer ? can.reason : open && choices === null ? 'This one needs more than one click: answer it on its own page.' : null,
    response: cp.persisted.context.response ?? null,
  }
}

/** The members of `cp`'s batch that the viewer may see, oldest first. */
export function visibleMembers(members: ReadonlyArray<LoadedCheckpoint | null>, viewer: Viewer): LoadedCheckpoint[] {
  return members.filter((m): m is LoadedCheckpoint => m !== null && maySee(viewer, m))
}
