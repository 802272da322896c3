export { checkpointMachine, type CheckpointMachine } from './checkpoint-machine.js'
export { advance, begin, restore, stateOf, refusalOf, type PersistedCheckpoint, type Refusal, type Step } from './step.js'
export { mayAct, respondedBy } from './identity.js'
export * from './types.js'
