/**
 * The vocabulary of a checkpoint's life: who acts, what they send, what the machine asks
 * the outside world to do. Pure data, shared by the machine, the store and the workers.
 */

export const TERMINAL_STATES = ['resolved', 'expired', 'cancelled', 'rejected'] as const
export const CHECKPOINT_STATES = ['pending', 'delivered', 'claimed', 'verified', ...TERMINAL_STATES] as const
export type CheckpointState = (typeof CHECKPOINT_STATES)[number]
export type TerminalState = (typeof TERMINAL_STATES)[number]

export function isTerminal(state: string): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state)
}

/** Where an action came from. `api` is a service holding an agent token acting for `actor`. */
export type ActorChannel = 'api' | 'dashboard' | 'slack' | 'email' | 'telegram' | 'system'

export interface Actor {
  channel: ActorChannel
  /** Stable id on that channel: Slack user id, email address, chat id, account name, token name. */
  actor: string
  name?: string
  /** For `api`: the token name the service authenticated with. */
  via?: string
  /**
   * Every routing identity this person answers to (`slack:U1`, `email:a@b`, `group:finance`),
   * resolved by the caller so the machine stays free of configuration.
   */
  identities?: string[]
}

/** What the person saw and answered, as recorded in `respondedBy`. */
export interface RespondedBy {
  channel: ActorChannel
  actor: string
  name?: string
  via?: string
  /** True when the answer is the agent's own `onTimeout` default, never a person's. */
  default?: boolean
}

export interface CheckpointInput {
  id: string
  now: number
  notify: string[]
  assignTo: string[]
  timeoutAt: number
  onTimeout: { response: unknown } | null
}

export interface CheckpointContext {
  id: string
  notify: string[]
  assignTo: string[]
  createdAt: number
  updatedAt: number
  timeoutAt: number
  onTimeout: { response: unknown } | null
  deliveredTo: string[]
  claimedBy: RespondedBy | null
  response: unknown
  respondedBy: RespondedBy | null
  cancelReason: string | null
}

export type CheckpointEvent =
  | { type: 'checkpoint.delivered'; now: number; recipient: string }
  | { type: 'checkpoint.claim'; now: number; by: Actor }
  | { type: 'checkpoint.release'; now: number; by: Actor }
  | { type: 'checkpoint.answer'; now: number; by: Actor; response: unknown }
  | { type: 'checkpoint.cancel'; now: number; by: Actor; reason?: string }
  | { type: 'checkpoint.timeout'; now: number; dueAt: number }

export type CheckpointEventType = CheckpointEvent['type']

/** Timers are named like XState's internal events so a firing can be matched to its cause. */
export type TimerName = 'checkpoint.timeout'

/**
 * Side effects the machine asks for. They are written to the outbox in the same commit as
 * the snapshot and executed afterwards by workers, so none is lost to a crash.
 */
export type Effect =
  | { type: 'deliver'; recipients: string[] }
  | { type: 'schedule'; timer: TimerName; at: number }
  | { type: 'cancelTimer'; timer: TimerName; at: number }
  /** The agent is told the outcome; for a long-polling agent the commit's pub/sub message is enough. */
  | { type: 'resume'; state: Exclude<TerminalState, 'rejected'> }
  | { type: 'publishUpdate'; recipients: string[] }
