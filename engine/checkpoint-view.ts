import type { RespondedBy } from '../machine/types.js'
import type { LoadedCheckpoint } from './checkpoint-store.js'

/** The checkpoint as the agent API shows it (api.md: the 201 body and `GET`). */
export interface CheckpointView {
  id: string
  state: string
  task: string
  payload: unknown
  payloadSchema?: Record<string, unknown>
  responseSchema: Record<string, unknown>
  response: unknown
  respondedBy: RespondedBy | null
  claimedBy: RespondedBy | null
  notify: string[]
  assignTo: string[]
  deliveredTo: string[]
  createdAt: string
  updatedAt: string
  expiresAt: string
  idempotencyKey: string | null
  resume: { target: string } | null
  links: { dashboard: string }
  metadata: Record<string, unknown>
  version: number
  /** Escalation tier reached (0 = the original people). */
  tier: number
  /** Quorum: the combined outcome and each person's answer so far. */
  outcome?: 'approved' | 'rejected' | null
  answers?: Array<{ respondedBy: RespondedBy; response: unknown; at: string }>
  /** The agent allows "decide the same for the next maxDays days" (standing rules). */
  remember?: { key: string; maxDays: number }
  /** The batch the agent raised this checkpoint in. */
  batch?: { id: string; title: string }
  /** Verification: the last verdict, and failed attempts so far. */
  verification?: { passed: boolean; reason: string; attempts: number } | null
}

const iso = (ms: number) => new Date(ms).toISOString()

export function toView(cp: LoadedCheckpoint, publicUrl: string): CheckpointView {
  const ctx = cp.persisted.context
  const req = cp.request
  const view: CheckpointView = {
    id: cp.id,
    state: cp.state,
    task: req.task,
    payload: req.payload ?? null,
    responseSchema: req.responseSchema,
    response: ctx.response ?? null,
    respondedBy: ctx.respondedBy,
    claimedBy: ctx.claimedBy,
    notify: ctx.notify,
    assignTo: ctx.assignTo,
    deliveredTo: ctx.deliveredTo,
    createdAt: iso(ctx.createdAt),
    updatedAt: iso(ctx.updatedAt),
    expiresAt: iso(ctx.timeoutAt),
    idempotencyKey: req.idempotencyKey ?? null,
    // Where the resume goes, never its secrets (webhook secret, LangGraph key).
    resume: req.resume ? { target: Object.keys(req.resume)[0] ?? 'unknown' } : null,
    links: { dashboard: `${publicUrl.replace(/\/$/, '')}/checkpoints/${cp.id}` },
    metadata: req.metadata ?? {},
    version: cp.version,
    tier: ctx.tier ?? 0,
  }
  if (ctx.quorum) {
    view.outcome = ctx.outcome
    view.answers = ctx.answers.map((a) => ({ respondedBy: a.by, response: a.response, at: iso(a.at) }))
  }
  if (ctx.verify) view.verification = ctx.lastVerdict ? { ...ctx.lastVerdict, attempts: ctx.attempts } : null
  if (req.remember) view.remember = req.remember
  if (req.batch) view.batch = req.batch
  if (req.payloadSchema) view.payloadSchema = req.payloadSchema
  return view
}
