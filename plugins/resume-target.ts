import type { ResumeEvent } from '../sdk/webhook.js'
import type { ResumeSpec } from '../engine/create-spec.js'

/** One way to wake an agent. Each target is one small module behind this interface. */
export interface ResumeTarget {
  readonly name: string
  /** Delivers the event; throws to retry, throws UnrecoverableError to stop. */
  resume(event: ResumeEvent, spec: ResumeSpec, ctx: { messageId: string }): Promise<{ detail: Record<string, unknown> }>
}

/** A target answered in a way that retrying will not change (410 Gone). */
export class ResumeRejected extends Error {
  constructor(
    message: string,
    readonly detail: Record<string, unknown>,
  ) {
    super(message)
    this.name = 'ResumeRejected'
  }
}
