// The wire shapes of api.md, as the agent sees them. Kept apart from the code that sends
// them so a contract change touches one file.
import type { z } from 'zod'

export type CheckpointState =
  | 'pending'
  | 'delivered'
  | 'claimed'
  | 'verified'
  | 'resolved'
  | 'expired'
  | 'cancelled'
  | 'rejected'

export type TerminalCheckpointState = 'resolved' | 'expired' | 'cancelled' | 'rejected'

const TERMINAL: ReadonlySet<string> = new Set<TerminalCheckpointState>(['resolved', 'expired', 'cancelled', 'rejected'])

// A state this SDK does not know yet is treated as "still open": waiting longer is the safe
// reading of a newer server, where guessing an outcome is not.
export function isTerminalState(state: string): state is TerminalCheckpointState {
  return TERMINAL.has(state)
}

/** Who answered, as recorded by the channel that took the answer. */
export interface RespondedBy {
  channel: string
  actor: string
  name?: string
  [key: string]: unknown
}

/** A checkpoint as returned by create (201/200), `GET /v1/checkpoints/:id` and `/wait`. */
export interface Checkpoint {
  id: string
  /** A known state, or a newer server's state this SDK version does not know (treated as open). */
  state: CheckpointState | (string & {})
  task: string
  payload: unknown
  responseSchema: JsonSchema
  response: unknown
  respondedBy: RespondedBy | null
  createdAt: string
  updatedAt: string
  expiresAt: string | null
  links: { dashboard: string; [key: string]: string }
  metadata: Record<string, unknown>
  [key: string]: unknown
}

export type JsonSchema = Record<string, unknown>

/** A `notify` / `assignTo` target: `dashboard`, `slack:#channel`, `slack:@U…`, `email:…`, `telegram:<chat>`, `group:<name>`. */
export type Target = string

export interface EscalationStep {
  afterSeconds: number
  notify?: Target[]
  assignTo?: Target[]
}

export interface Reminders {
  everySeconds: number
  max?: number
}

export interface Quorum {
  approvals: number
}

export interface VerifyOptions {
  /** `anthropic`, `openai`, `webhook` (with `url`), or `function:<name>` for an embedder's verifier. */
  provider: 'anthropic' | 'openai' | 'webhook' | `function:${string}` | (string & {})
  instructions: string
  maxAttempts?: number
  model?: string
  url?: string
}

/** What happens at the timeout: a default answer the agent receives instead of an expiry. */
export interface OnTimeout<Response> {
  response: Response
}

export type ResumeTarget =
  | { webhook: { url: string; secret?: string } }
  | { inngest: { event?: string } }
  | { langgraph: { apiUrl: string; threadId: string; assistantId: string; apiKey?: string } }
  | { queue: { name: string; prefix?: string } }
  | { temporal: { address: string; namespace?: string; workflowId: string; runId?: string; signal?: string } }

/** The structural subset of `fetch` the SDK calls, so a wrapped or test fetch can be injected. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>

export interface ConnectionOptions {
  /** Server base URL. Default: `HOLDPOINT_URL`, then the dev file, then `http://127.0.0.1:8080`. */
  url?: string
  /** Bearer token. Default: `HOLDPOINT_API_TOKEN`, then the dev file. */
  token?: string
  fetch?: FetchLike
  signal?: AbortSignal
  /** How long the server may stay unreachable without a break before giving up. Default 300000. */
  unavailableAfterMs?: number
}

/** Groups checkpoints of one run so a person can decide them together (docs/dashboard.md, Batches). */
export interface Batch {
  /** 1–64 letters, digits, `_`, `.` or `-`. */
  id: string
  /** Up to 200 characters. */
  title: string
}

export interface Remember {
  key: string
  /** 1 to 365. */
  maxDays: number
}

/** Everything that describes the question; shared by `awaitHuman` and `createCheckpoint`. */
export interface CheckpointRequest<S extends z.ZodType = z.ZodType> extends ConnectionOptions {
  task: string
  payload?: unknown
  /** Checked locally before sending and sent as JSON Schema so reviewers see a typed payload. */
  payloadSchema?: z.ZodType
  /** The shape of the answer; the server validates answers against it, the SDK parses with it. */
  responseSchema: S
  /** `'15m'`, `'2h'`, `'1h30m'`, … or a number of seconds. */
  timeout?: string | number
  notify?: Target[]
  assignTo?: Target[]
  onTimeout?: OnTimeout<z.input<S>>
  escalation?: EscalationStep[]
  reminders?: Reminders
  quorum?: Quorum
  verify?: VerifyOptions
  /** Let Holdpoint assign one member of the `group:` in `assignTo`, the one picked least recently. */
  pick?: 'least-recently-assigned'
  /** Never send the payload to a verifier's model provider. */
  redact?: boolean
  /**
   * Offer the person answering "decide the same for the next `maxDays` days": later requests
   * from this token with the same `key` are then answered at once (docs/routing.md, Standing rules).
   */
  remember?: Remember
  batch?: Batch
  metadata?: Record<string, unknown>
  /** Makes the create safe to retry. Default: a random UUID generated once per call. */
  idempotencyKey?: string
}

/** The JSON body of `POST /v1/checkpoints`. */
export interface CreateCheckpointBody {
  task: string
  payload?: unknown
  payloadSchema?: JsonSchema
  responseSchema: JsonSchema
  notify?: Target[]
  assignTo?: Target[]
  timeoutSeconds?: number
  onTimeout?: OnTimeout<unknown>
  escalation?: EscalationStep[]
  reminders?: Reminders
  quorum?: Quorum
  verify?: VerifyOptions
  pick?: 'least-recently-assigned'
  redact?: boolean
  remember?: Remember
  batch?: Batch
  resume?: ResumeTarget
  metadata?: Record<string, unknown>
}
