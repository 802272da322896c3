/** The dashboard's JSON API client: same-origin, cookie session, CSRF token in a header. */

export interface FieldProblem {
  path: string
  message: string
}

export interface Problem {
  title: string
  status: number
  detail?: string
  errors?: FieldProblem[]
  reason?: string
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title)
    this.name = 'ApiError'
  }
  get status(): number {
    return this.problem.status
  }
}

let csrfToken = ''

export function setCsrf(token: string | null): void {
  csrfToken = token ?? ''
}

/** Called when any request finds the session gone, so the app can show the sign-in page. */
let onSignedOut: () => void = () => undefined
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') {
    headers['content-type'] = 'application/json'
    // Before sign-in there is no token yet; the header's presence is what the server checks.
    headers['x-csrf-token'] = csrfToken || 'anonymous'
  }
  let res: Response
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined && { body: JSON.stringify(body) }) })
  } catch {
    throw new ApiError({ title: 'Network error', status: 0, detail: 'Holdpoint did not answer. Check your connection and try again.' })
  }
  if (res.status === 204) return undefined as T
  const text = await res.text()
  const data: unknown = text ? safeJson(text) : null
  if (!res.ok) {
    const problem = (data && typeof data === 'object' ? data : { title: res.statusText }) as Problem
    problem.status = res.status
    if (res.status === 401 && !path.endsWith('/login') && !path.endsWith('/session')) onSignedOut()
    throw new ApiError(problem)
  }
  return data as T
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return { title: 'Unexpected answer', detail: text.slice(0, 200) }
  }
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail ?? error.problem.title
  return error instanceof Error ? error.message : String(error)
}

/** Server field problems keyed by the first path segment (for plain forms). */
export function fieldErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {}
  if (error instanceof ApiError) {
    for (const p of error.problem.errors ?? []) {
      const key = p.path.split('/')[1] ?? ''
      out[key] ??= p.message
    }
  }
  return out
}

// ---- shapes the server sends ----

export interface Actor {
  channel: string
  actor: string
  name?: string
  via?: string
  default?: boolean
}

export interface PersonInfo {
  id: string
  name: string
  role: 'operator' | 'reviewer'
  email: string | null
  groups: string[]
  /** Recipient strings that reach this person (`email:…`, `<channel>:<handle>`, `group:…`). */
  routes: string[]
  hasPassword?: boolean
  /** Each channel's handle field (one per channel plugin), as the server's channels declare them. */
  [handle: string]: unknown
}

/** A registered channel, as `GET /ui/api/people/channels` describes it. */
export interface ChannelInfo {
  name: string
  enabled: boolean
  forms: string[]
  handles: Array<{ field: string; label: string; placeholder: string }>
}

/** Which ways of signing in the server offers (`GET /ui/api/login-options`). */
export interface LoginOptions {
  password: boolean
  sso: boolean
}

export type Session =
  | { signedIn: false }
  | { signedIn: true; kind: 'person' | 'grant'; csrf: string; person: PersonInfo | null; actor: { channel: string; actor: string; name: string | null }; onlyCheckpoint: string | null }

export interface InboxItem {
  id: string
  state: string
  task: string
  createdAt: string
  updatedAt: string
  expiresAt: string
  claimedBy: Actor | null
  respondedBy: Actor | null
  assignTo: string[]
  notify: string[]
  assignedToMe: boolean
  /** Set on the one row that stands for a batch's open checkpoints. */
  batch: { id: string; title: string; key: string; open: number } | null
}

/** One checkpoint of a batch, as the batch page shows it. */
export interface BatchItem {
  id: string
  state: string
  task: string
  payload: unknown
  choices: Array<{ label: string; response: unknown }> | null
  /** The approve/reject answers when the decision is one boolean. */
  decision: { approve: unknown; reject: unknown } | null
  canAnswer: boolean
  reason: string | null
  response: unknown
}

export interface BatchPage {
  batch: { id: string; title: string }
  openedWith: string
  items: BatchItem[]
}

/** A result per item of a many-answers call. */
export interface BatchAnswerResult {
  id: string
  status: 200 | 404 | 409 | 422
  state?: string
  code?: string
  errors?: FieldProblem[]
}

export interface InboxPage {
  items: InboxItem[]
  nextCursor: string | null
  scanned: number
}

export type JsonSchema = Record<string, unknown>

export interface Checkpoint {
  id: string
  state: string
  task: string
  payload: unknown
  payloadSchema?: JsonSchema
  responseSchema: JsonSchema
  response: unknown
  respondedBy: Actor | null
  claimedBy: Actor | null
  notify: string[]
  assignTo: string[]
  deliveredTo: string[]
  createdAt: string
  updatedAt: string
  expiresAt: string
  metadata: Record<string, unknown>
  resume: { target: string } | null
  version: number
  /** The last verdict and failed attempts so far, when the checkpoint is verified. */
  verification?: { passed: boolean; reason: string; attempts: number } | null
  /** The agent offers "decide the same for the next maxDays days". */
  remember?: { key: string; maxDays: number }
}

/** Standing rules as operators see them (`GET /ui/api/rules`). */
export interface RulesView {
  policies: Array<{ id: string; tokens: string[]; when: unknown; response: unknown; note: string | null }>
  remembered: Array<{ id: string; token: string; key: string; response: unknown; decidedBy: Actor; checkpointId: string; createdAt: string; expiresAt: string }>
}

export interface TimelineEntry {
  seq: number
  at: string
  kind: string
  state: string
  actor: Actor
  shownHash?: string
  data?: Record<string, unknown>
  hash: string
}

export interface ChainCheck {
  intact: boolean
  brokenAt?: number
  reason?: string
}

export interface CheckpointDetail {
  checkpoint: Checkpoint
  permissions: { claim: boolean; release: boolean; answer: boolean; reassign: boolean; reason: string | null }
  timeline: TimelineEntry[]
  chain: ChainCheck
  you: { channel: string; actor: string }
  verify: { maxAttempts: number } | null
  /** Whether "Answer in words" is offered (a model is configured to read free text). */
  freeText: boolean
}

export interface ProposedAnswer {
  checkpointId: string
  answer: unknown
  valid: boolean
  problems: FieldProblem[]
  reason: string
  model: string | null
}

export interface AuditRow {
  checkpointId: string
  task: string
  chainIntact: boolean
  seq: number
  at: string
  kind: string
  state: string
  actor: Actor
  data: Record<string, unknown> | null
}
