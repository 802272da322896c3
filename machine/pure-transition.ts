import { createActor, type SnapshotFrom } from 'xstate'
import { checkpointMachine } from './checkpoint-machine.js'
import type { CheckpointEvent, CheckpointInput } from './types.js'

type Snapshot = SnapshotFrom<typeof checkpointMachine>
type Scope = Parameters<typeof checkpointMachine.transition>[2]
type Action = Parameters<Scope['actionExecutor']>[0]

/**
 * XState's `transition()` and `initialTransition()`, with one actor scope per process instead
 * of one per call. XState builds a throwaway actor for every call, and that actor eagerly
 * computes the machine's initial snapshot without input: for this machine a TypeError thrown
 * and caught each time, ~50 µs and ~40 KB of garbage per step, the largest single cost of a
 * lifecycle's CPU. Reusing the scope is sound because this machine is pure and synchronous: it
 * spawns no children and defers nothing, so the scope carries nothing from one call to the
 * next but the executor, which each call points at its own list before it runs.
 */
const scope: Scope = (() => {
  const sample: CheckpointInput = { id: 'cp_scope', now: 0, notify: [], assignTo: [], timeoutAt: 0, onTimeout: null }
  const self = createActor(checkpointMachine, { input: sample })
  return {
    self,
    id: '',
    sessionId: '',
    system: self.system,
    logger: () => {},
    defer: () => {},
    emit: () => {},
    stopChild: () => {},
    actionExecutor: () => {},
  }
})()

function collecting<T>(run: () => T): [T, Action[]] {
  const actions: Action[] = []
  scope.actionExecutor = (action) => void actions.push(action)
  try {
    return [run(), actions]
  } finally {
    scope.actionExecutor = () => {}
  }
}

export function initialStep(input: CheckpointInput): [Snapshot, Action[]] {
  return collecting(() => checkpointMachine.getInitialSnapshot(scope, input))
}

export function nextStep(snapshot: Snapshot, event: CheckpointEvent): [Snapshot, Action[]] {
  return collecting(() => checkpointMachine.transition(snapshot, event, scope))
}
