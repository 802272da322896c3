/**
 * The vocabulary of a checkpoint's life: who acts, what they send, what the machine asks
 * the outside world to do. Pure data, shared by the machine, the store and the workers.
 */

export const TERMINAL_STATES = ['resolved', 'expired', 'cancelled', 'rejected'] as const
export const CHECKPOINT_STATES = ['pending', 'delivered', 'claimed', 'verifying', 'verified', ...TERMINAL_STATES] as const
export type CheckpointState = (typeof CHECKPOINT_STATES)[number]
export type TerminalState = (typeof TERMINAL_STATES)[number]

export function isTerminal(state: string): state is TerminalState {
  return (TERMINAL_STATES as readonly string[]).includes(state)
}

/**
 * Where an action came from: a channel's name (`email`, …), `dashboard`, `system`,
 * or `api` (a service holding an agent token acting for `actor`). The machine treats it as
 * opaque: channels are plugins it knows nothing about.
 */
export type ActorChannel = string

export interface Actor {
  channel: ActorChannel
  /** Stable id on that channel: a user id, an email address, a chat id, account name, token name. */
  actor: string
  name?: string
  /** For `api`: the token name the service authenticated with. */
  via?: string
  /**
   * Every routing identity this person answers to (`email:a@b`, `chat:U1`, `group:finance`),
   * resolved by the caller so the machine stays free of configuration.
   */
  identities?: string[]
  /**
   * Identities in `identities` only lent to this person while they cover for someone away
   * (engine/absences.ts), per away person: the audit names whom an answer was delegated from.
   */
  covering?: Array<{ person: string; identities: string[] }>
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

export interface EscalationStep {
  /** Seconds after the previous tier began (the first: after creation). */
  afterSeconds: number
  notify: string[]
  /** When given, replaces who may answer from this tier on. */
  assignTo?: string[]
  /** A claimed checkpoint counts as unanswered unless the step says to leave it alone. */
  skipIfClaimed?: boolean
}

export interface QuorumRule {
  approvals: number
  /** Rejections that end it early; only for schemas with a boolean `approved`. */
  rejectOn: number | null
  /** The boolean field that says approve/reject, when the schema has one. */
  decisionField: string | null
}

/** One person's answer under a quorum. */
export interface QuorumAnswer {
  by: RespondedBy
  /** The person, across channels (`user:<id>` when known, else `<channel>:<actor>`). */
  person: string
  response: unknown
  at: number
  /** true approves, false rejects, null when the schema has no decision field. */
  approve: boolean | null
}

export interface CheckpointInput {
  id: string
  now: number
  notify: string[]
  assignTo: string[]
  timeoutAt: number
  onTimeout: { response: unknown } | null
  escalation?: EscalationStep[]
  reminders?: { everySeconds: number; max: number } | null
  quorum?: QuorumRule | null
  verify?: { maxAttempts: number } | null
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
  /** Escalation: index of the current tier (0 = the original notify/assignTo). */
  tier: number
  escalation: EscalationStep[]
  nextEscalationAt: number | null
  /** Who the current tier notifies (reminders go to them). */
  tierNotify: string[]
  reminders: { everySeconds: number; max: number } | null
  remindersSent: number
  nextReminderAt: number | null
  quorum: QuorumRule | null
  answers: QuorumAnswer[]
  /** Quorum's combined outcome. */
  outcome: 'approved' | 'rejected' | null
  verify: { maxAttempts: number } | null
  attempts: number
  /** An answer waiting for its verdict. */
  pendingAnswer: { by: RespondedBy; response: unknown } | null
  lastVerdict: { passed: boolean; reason: string } | null
}

export type CheckpointEvent =
  | { type: 'checkpoint.delivered'; now: number; recipient: string }
  | { type: 'checkpoint.claim'; now: number; by: Actor }
  | { type: 'checkpoint.release'; now: number; by: Actor }
  | { type: 'checkpoint.answer'; now: number; by: Actor; response: unknown }
  | { type: 'checkpoint.cancel'; now: number; by: Actor; reason?: string }
  | { type: 'checkpoint.timeout'; now: number; dueAt: number }
  | { type: 'checkpoint.escalate'; now: number; dueAt: number }
  | { type: 'checkpoint.remind'; now: number; dueAt: number }
  | { type: 'checkpoint.extend'; now: number; by: Actor; timeoutAt: number }
  | { type: 'checkpoint.reassign'; now: number; by: Actor; assignTo: string[]; notify?: string[] }
  | { type: 'checkpoint.verdict'; now: number; attempt: number; passed: boolean; reason: string; response?: unknown; model?: string }

export type CheckpointEventType = CheckpointEvent['type']

/** Timers are named like XState's internal events so a firing can be matched to its cause. */
export type TimerName = 'checkpoint.timeout' | 'checkpoint.escalate' | 'checkpoint.remind'

/**
 * Side effects the machine asks for. They are written to the outbox in the same commit as
 * the snapshot and executed afterwards by workers, so none is lost to a crash.
 */
export type Effect =
  | { type: 'deliver'; recipients: string[] }
  | { type: 'schedule'; timer: TimerName; at: number }
  | { type: 'cancelTimer'; timer: TimerName; at: number }
  /** The agent is told the outcome; for a long-polling agent the commit's pub/sub message is enough. */
  | { type: 'resume'; state: TerminalState }
  | { type: 'publishUpdate'; recipients: string[] }
  /** Re-notify people who already have the request (threaded or as an update where possible). */
  | { type: 'remind'; recipients: string[] }
  /** Ask the verifier about the pending answer. */
  | { type: 'verify'; attempt: number }
