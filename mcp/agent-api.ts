// The four things the MCP tools need from Holdpoint. The tools are written once against this
// and run either inside the server (in-process-api.ts) or beside an agent over HTTP
// (http-api.ts), so both transports behave the same.

/** Who answered, as the agent API reports it. */
export interface Responder {
  channel: string
  actor: string
  name?: string
}

/**
 * The part of a checkpoint (api.md's `GET /v1/checkpoints/:id` body) the tools read. The
 * object carries every other field of that body too; the resource returns it whole.
 */
export interface CheckpointDoc {
  id: string
  state: string
  response: unknown
  respondedBy: Responder | null
  expiresAt: string | null
}

/** The body of `POST /v1/checkpoints` as the tools build it. */
export interface CreateBody {
  task: string
  responseSchema: Record<string, unknown>
  payload?: unknown
  payloadSchema?: Record<string, unknown>
  notify?: string[]
  assignTo?: string[]
  timeoutSeconds?: number
  metadata?: Record<string, unknown>
}

export interface AgentApi {
  /** Creates a checkpoint; the same idempotency key and body return the original one. */
  create(body: CreateBody, idempotencyKey?: string): Promise<CheckpointDoc>
  get(id: string): Promise<CheckpointDoc>
  /** Returns as soon as the checkpoint is terminal, or after `seconds` with its current state. */
  wait(id: string, seconds: number, signal?: AbortSignal): Promise<CheckpointDoc>
  cancel(id: string, reason?: string): Promise<CheckpointDoc>
}

/**
 * A refusal by the agent API (validation, unknown id, conflict). Its message is written for
 * the model: the tools return it as an `isError` result so the model can correct itself.
 */
export class AgentApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message)
    this.name = 'AgentApiError'
  }
}

export interface ProblemLike {
  title?: string
  detail?: string
  errors?: ReadonlyArray<{ path?: string; message?: string }>
}

/** One sentence per failing path, the same text whichever AgentApi produced the problem. */
export function problemText(status: number, problem: ProblemLike | undefined): string {
  const head = problem?.detail ?? problem?.title ?? `HTTP ${status}`
  const paths = (problem?.errors ?? []).map((e) => `${e.path === undefined || e.path === '' ? '/' : e.path}: ${e.message ?? 'is not valid'}`)
  return paths.length === 0 ? `${head} (HTTP ${status})` : `${head} (HTTP ${status})\n${paths.map((p) => `- ${p}`).join('\n')}`
}

const TERMINAL = new Set(['resolved', 'expired', 'cancelled', 'rejected'])

export function isFinished(state: string): boolean {
  return TERMINAL.has(state)
}
