// The value a Holdpoint question leaves in a LangGraph interrupt. Both sides read it: the
// node helper writes it, and the resume paths (the in-process receiver and Holdpoint's
// LangGraph Platform target) look for it to tell which pending interrupt a resume is for.
// No LangGraph import here: Holdpoint's server reads this too.

export interface HoldpointInterrupt {
  holdpointCheckpointId: string
  task: string
  /** Where a person answers; handy in LangGraph Studio and in `__interrupt__` output. */
  link: string
}

export function interruptCheckpointId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || !('holdpointCheckpointId' in value)) return undefined
  const id = value.holdpointCheckpointId
  return typeof id === 'string' ? id : undefined
}
