import type { SnapshotFrom } from 'xstate'
import { checkpointMachine } from './checkpoint-machine.js'
import { initialStep, nextStep } from './pure-transition.js'
import { mayAct } from './identity.js'
import { hasAnswered } from './quorum.js'
import {
  CHECKPOINT_STATES,
  isTerminal,
  type CheckpointContext,
  type CheckpointEvent,
  type CheckpointInput,
  type CheckpointState,
  type Effect,
} from './types.js'

type Snapshot = SnapshotFrom<typeof checkpointMachine>

/** What is stored: enough to restore the machine exactly, nothing derived. */
export interface PersistedCheckpoint {
  value: unknown
  context: CheckpointContext
}

export interface Step {
  state: CheckpointState
  persisted: PersistedCheckpoint
  effects: Effect[]
}

function effectsOf(actions: ReadonlyArray<{ type: string; params?: unknown }>): Effect[] {
  const out: Effect[] = []
  for (const action of actions) {
    if (action.type === 'emit') out.push(...(action.params as { effects: Effect[] }).effects)
  }
  return out
}

export function stateOf(snapshot: { value: unknown }): CheckpointState {
  const value = snapshot.value
  const leaf = typeof value === 'string' ? value : Object.values(value as Record<string, unknown>)[0]
  if (typeof leaf !== 'string' || !(CHECKPOINT_STATES as readonly string[]).includes(leaf)) {
    throw new Error(`unknown checkpoint state ${JSON.stringify(value)}`)
  }
  return leaf as CheckpointState
}

function persist(snapshot: Snapshot): PersistedCheckpoint {
  return { value: snapshot.value, context: snapshot.context }
}

/** The first step of a checkpoint's life: its initial snapshot and the effects of entering it. */
export function begin(input: CheckpointInput): Step {
  const [snapshot, actions] = initialStep(input)
  return { state: stateOf(snapshot), persisted: persist(snapshot), effects: effectsOf(actions) }
}

export function restore(persisted: PersistedCheckpoint): Snapshot {
  return checkpointMachine.resolveState({ value: persisted.value as Snapshot['value'], context: persisted.context })
}

/** One event through the pure transition; `null` when the machine does not take it. */
export function advance(persisted: PersistedCheckpoint, event: CheckpointEvent): Step | null {
  const snapshot = restore(persisted)
  if (snapshot.status !== 'active' || !snapshot.can(event)) return null
  const [next, actions] = nextStep(snapshot, event)
  return { state: stateOf(next), persisted: persist(next), effects: effectsOf(actions) }
}

export type Refusal =
  | { code: 'terminal'; state: CheckpointState }
  | { code: 'verifying' }
  | { code: 'duplicate_answer' }
  | { code: 'not_assigned' }
  | { code: 'claimed_by_other'; claimedBy: string }
  | { code: 'stale' }
  | { code: 'not_applicable'; state: CheckpointState }

/** Why `advance` returned null, in terms a person or an HTTP client can act on. */
export function refusalOf(persisted: PersistedCheckpoint, event: CheckpointEvent): Refusal {
  const state = stateOf(persisted)
  if (isTerminal(state)) return { code: 'terminal', state }
  const ctx = persisted.context
  const personal = event.type === 'checkpoint.answer' || event.type === 'checkpoint.claim'
  if (personal && !mayAct(ctx, event.by)) return { code: 'not_assigned' }
  if (personal && ctx.pendingAnswer !== null) return { code: 'verifying' }
  if (event.type === 'checkpoint.answer' && ctx.quorum !== null && hasAnswered(ctx, event.by)) return { code: 'duplicate_answer' }
  if (personal && ctx.claimedBy !== null && ctx.claimedBy.actor !== event.by.actor && event.by.channel !== 'api') {
    return { code: 'claimed_by_other', claimedBy: ctx.claimedBy.name ?? ctx.claimedBy.actor }
  }
  if (['checkpoint.timeout', 'checkpoint.escalate', 'checkpoint.remind', 'checkpoint.verdict'].includes(event.type)) return { code: 'stale' }
  return { code: 'not_applicable', state }
}
