import type { Person } from '../../engine/directory.js'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { mayAct } from '../../machine/identity.js'
import { isTerminal, type Actor } from '../../machine/types.js'
import type { SessionData } from './sessions.js'

/**
 * Who is looking at the dashboard and what they may see and do. A signed-in person acts on
 * the `dashboard` channel with every identity the directory knows for them; a `?grant=`
 * visitor acts as the channel recipient the link was minted for, on that one checkpoint.
 */
export interface Viewer {
  kind: 'person' | 'grant'
  person: Person | null
  operator: boolean
  actor: Actor
  /** Only for grants: the one checkpoint this visitor may open. */
  onlyCheckpoint: string | null
  session: SessionData
  sessionId: string
}

export function personViewer(person: Person, identities: string[], session: SessionData, sessionId: string, covering: NonNullable<Actor['covering']> = []): Viewer {
  return {
    kind: 'person',
    person,
    operator: person.role === 'operator',
    actor: { channel: 'dashboard', actor: person.id, name: person.name, identities, ...(covering.length > 0 && { covering }) },
    onlyCheckpoint: null,
    session,
    sessionId,
  }
}

export function grantViewer(actor: Actor, checkpointId: string, session: SessionData, sessionId: string): Viewer {
  return { kind: 'grant', person: null, operator: false, actor, onlyCheckpoint: checkpointId, session, sessionId }
}

/** Operators see everything; others what is routed to them (`assignTo` or `notify`). */
export function maySee(viewer: Viewer, cp: LoadedCheckpoint): boolean {
  if (viewer.onlyCheckpoint !== null) return viewer.onlyCheckpoint === cp.id
  if (viewer.operator) return true
  const identities = new Set(viewer.actor.identities ?? [])
  const ctx = cp.persisted.context
  return ctx.assignTo.some((t) => identities.has(t)) || ctx.notify.some((t) => identities.has(t))
}

export interface Permissions {
  claim: boolean
  release: boolean
  answer: boolean
  /** An operator acting on someone else's claim. */
  reassign: boolean
  /** Why the viewer cannot answer, in words, when they cannot. */
  reason: string | null
}

/** What the page offers; the machine still has the last word on every action. */
export function permissionsFor(viewer: Viewer, cp: LoadedCheckpoint): Permissions {
  const ctx = cp.persisted.context
  const assigned = mayAct(ctx, viewer.actor)
  const claimedBy = ctx.claimedBy
  const mine = claimedBy !== null && claimedBy.actor === viewer.actor.actor && claimedBy.channel === viewer.actor.channel
  if (isTerminal(cp.state)) {
    return { claim: false, release: false, answer: false, reassign: false, reason: `This checkpoint is ${cp.state}.` }
  }
  if (cp.state === 'verifying' || cp.state === 'verified') {
    // The answer is with the verifier: nobody answers, claims or releases until its verdict.
    return { claim: false, release: false, answer: false, reassign: false, reason: 'The answer is being verified.' }
  }
  const reason = !assigned
    ? 'You can see this checkpoint but it is not assigned to you.'
    : claimedBy && !mine
      ? `${claimedBy.name ?? claimedBy.actor} has claimed this checkpoint.`
      : null
  return {
    claim: assigned && claimedBy === null,
    release: mine || (viewer.operator && claimedBy !== null),
    answer: assigned && (claimedBy === null || mine),
    reassign: viewer.operator && viewer.kind === 'person',
    reason,
  }
}
