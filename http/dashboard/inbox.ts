import { createHash } from 'node:crypto'
import type { Directory } from '../../engine/directory.js'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import type { Engine } from '../../engine/engine.js'
import { mayAct } from '../../machine/identity.js'
import { isTerminal, type CheckpointState, type RespondedBy } from '../../machine/types.js'
import { maySee, type Viewer } from './viewer.js'

/**
 * The inbox: newest first from the checkpoint index, filtered by what the viewer may see,
 * state, assignee and task text. Filters other than a single state cannot use an index, so
 * one page scans at most SCAN_CAP checkpoints; `nextCursor` then resumes where it stopped.
 */
export const SCAN_CAP = 2000
const BATCH = 100

export interface InboxQuery {
  /** A state, `open` (not finished) or undefined for all. */
  state?: CheckpointState | 'open'
  /** `me`, `claimed:me`, `unclaimed`, `user:<id>` (operators), or a literal assignTo entry. */
  assignee?: string
  q?: string
  cursor?: string
  limit: number
}

export interface InboxItem {
  id: string
  state: string
  task: string
  createdAt: string
  updatedAt: string
  expiresAt: string
  claimedBy: RespondedBy | null
  respondedBy: RespondedBy | null
  assignTo: string[]
  notify: string[]
  assignedToMe: boolean
  /**
   * Set on the one row that stands for a batch's open checkpoints (the newest of them): its
   * title, how many are open for this viewer, and a key that tells batches apart across pages.
   */
  batch: { id: string; title: string; key: string; open: number } | null
}

export function inboxItem(cp: LoadedCheckpoint, viewer: Viewer): InboxItem {
  const ctx = cp.persisted.context
  return {
    id: cp.id,
    state: cp.state,
    task: cp.request.task,
    createdAt: new Date(ctx.createdAt).toISOString(),
    updatedAt: new Date(ctx.updatedAt).toISOString(),
    expiresAt: new Date(ctx.timeoutAt).toISOString(),
    claimedBy: ctx.claimedBy,
    respondedBy: ctx.respondedBy,
    assignTo: ctx.assignTo,
    notify: ctx.notify,
    assignedToMe: mayAct(ctx, viewer.actor),
    batch: null,
  }
}

const batchKey = (cp: LoadedCheckpoint, batchId: string) => createHash('sha256').update(`${cp.request.createdBy}\n${batchId}`).digest('base64url').slice(0, 16)

/**
 * Folds a batch's open checkpoints into one row. The first (newest) open member found
 * stands for the batch; its siblings are skipped for the rest of this listing. A later page
 * may show the row again: the page merges rows by `batch.key`.
 */
class BatchFolder {
  private readonly seen = new Set<string>()
  private readonly folded = new Set<string>()

  constructor(
    private readonly engine: Engine,
    private readonly viewer: Viewer,
  ) {}

  skip(cp: LoadedCheckpoint): boolean {
    return this.folded.has(cp.id)
  }

  async row(cp: LoadedCheckpoint): Promise<InboxItem> {
    const item = inboxItem(cp, this.viewer)
    const batch = cp.request.batch
    if (!batch || isTerminal(cp.state)) return item
    const key = batchKey(cp, batch.id)
    if (this.seen.has(key)) return item
    this.seen.add(key)
    const ids = await this.engine.store.batchMembers(cp.request.createdBy, batch.id)
    const members = await Promise.all(ids.map((id) => this.engine.get(id)))
    const open = members.filter((m): m is LoadedCheckpoint => m !== null && !isTerminal(m.state) && maySee(this.viewer, m))
    for (const m of open) this.folded.add(m.id)
    return { ...item, batch: { id: batch.id, title: batch.title, key, open: Math.max(open.length, 1) } }
  }
}

type Predicate = (cp: LoadedCheckpoint) => boolean

async function assigneePredicate(assignee: string | undefined, viewer: Viewer, directory: Directory): Promise<Predicate> {
  if (!assignee) return () => true
  if (assignee === 'me') return (cp) => mayAct(cp.persisted.context, viewer.actor)
  if (assignee === 'claimed:me') return (cp) => cp.persisted.context.claimedBy?.actor === viewer.actor.actor
  if (assignee === 'unclaimed') return (cp) => cp.persisted.context.claimedBy === null
  if (assignee.startsWith('user:') && viewer.operator) {
    const person = await directory.get(assignee.slice(5))
    const identities = new Set(person ? directory.identities(person) : [])
    return (cp) => cp.persisted.context.assignTo.some((t) => identities.has(t))
  }
  return (cp) => cp.persisted.context.assignTo.includes(assignee)
}

export async function listInbox(
  engine: Engine,
  directory: Directory,
  viewer: Viewer,
  query: InboxQuery,
): Promise<{ items: InboxItem[]; nextCursor: string | null; scanned: number }> {
  const byAssignee = await assigneePredicate(query.assignee, viewer, directory)
  const needle = query.q?.trim().toLowerCase() ?? ''
  const indexState = query.state && query.state !== 'open' ? query.state : undefined
  const keep: Predicate = (cp) =>
    maySee(viewer, cp) &&
    (query.state !== 'open' || !isTerminal(cp.state)) &&
    (indexState === undefined || cp.state === indexState) &&
    (needle === '' || cp.request.task.toLowerCase().includes(needle) || cp.id === needle) &&
    byAssignee(cp)

  const items: InboxItem[] = []
  const folder = new BatchFolder(engine, viewer)
  let cursor = query.cursor
  let scanned = 0
  while (scanned < SCAN_CAP) {
    const page = await engine.store.list({ limit: Math.min(BATCH, SCAN_CAP - scanned), ...(indexState && { state: indexState }), ...(cursor && { cursor }) })
    const loaded = await Promise.all(page.ids.map((id) => engine.get(id)))
    for (const [i, cp] of loaded.entries()) {
      scanned++
      cursor = page.ids[i]
      if (cp && keep(cp) && !folder.skip(cp)) items.push(await folder.row(cp))
      if (items.length === query.limit) {
        const more = i < page.ids.length - 1 || page.next !== null
        return { items, nextCursor: more ? (cursor ?? null) : null, scanned }
      }
    }
    if (page.next === null) return { items, nextCursor: null, scanned }
  }
  return { items, nextCursor: cursor ?? null, scanned }
}
