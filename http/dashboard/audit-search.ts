import { verifyChain, type AuditEntry } from '../../engine/audit.js'
import type { Engine } from '../../engine/engine.js'
import type { Keyring } from '../../engine/keyring.js'

/**
 * Operator-wide audit search. Audit entries live per checkpoint, so the search walks the
 * checkpoint index newest first and filters each checkpoint's entries. Limits, by design:
 * one page looks at most `scanCap` checkpoints (the cursor continues from there), and a
 * date range narrows the walk only at its newer end (ids sort by creation time, but an old
 * checkpoint can get entries later). Export walks up to EXPORT_SCAN_CAP checkpoints.
 */
export const PAGE_SCAN_CAP = 200
export const EXPORT_SCAN_CAP = 5000

export interface AuditQuery {
  /** Case-insensitive substring of the actor id or name. */
  actor?: string
  from?: number
  to?: number
  /** Case-insensitive substring of the task (or the exact checkpoint id). */
  q?: string
  cursor?: string
}

export interface AuditRow {
  checkpointId: string
  task: string
  chainIntact: boolean
  seq: number
  at: string
  kind: string
  state: string
  actor: { channel: string; actor: string; name?: string; via?: string }
  data: Record<string, unknown> | null
  shownHash: string | null
  hash: string
}

/** The cursor that starts a newest-first walk at checkpoints created no later than `to`. */
function cursorBefore(to: number): string {
  return `cp_${(to + 1).toString(36).padStart(9, '0')}`
}

function matches(entry: AuditEntry, query: AuditQuery): boolean {
  const at = Date.parse(entry.at)
  if (query.from !== undefined && at < query.from) return false
  if (query.to !== undefined && at > query.to) return false
  if (query.actor) {
    const needle = query.actor.toLowerCase()
    const { actor, name } = entry.actor
    if (!actor.toLowerCase().includes(needle) && !(name ?? '').toLowerCase().includes(needle)) return false
  }
  return true
}

/** Walks checkpoints newest first, yielding the matching entries of each, up to `scanCap`. */
export async function* walkAudit(
  engine: Engine,
  keyring: Keyring,
  query: AuditQuery,
  scanCap: number,
): AsyncGenerator<{ rows: AuditRow[]; cursor: string; last: boolean }> {
  let cursor = query.cursor ?? (query.to !== undefined ? cursorBefore(query.to) : undefined)
  const needle = query.q?.trim().toLowerCase() ?? ''
  let scanned = 0
  while (scanned < scanCap) {
    const page = await engine.store.list({ limit: Math.min(100, scanCap - scanned), ...(cursor && { cursor }) })
    for (const [i, id] of page.ids.entries()) {
      scanned++
      cursor = id
      const last = page.next === null && i === page.ids.length - 1
      const cp = await engine.get(id)
      if (!cp || (needle && !cp.request.task.toLowerCase().includes(needle) && id !== needle)) {
        yield { rows: [], cursor: id, last }
        continue
      }
      const entries = await engine.store.readAudit(id)
      const intact = verifyChain(keyring, entries).intact
      const rows = entries
        .filter((e) => matches(e, query))
        .reverse()
        .map((e) => ({
          checkpointId: id,
          task: cp.request.task,
          chainIntact: intact,
          seq: e.seq,
          at: e.at,
          kind: e.kind,
          state: e.state,
          actor: e.actor,
          data: e.data ?? null,
          shownHash: e.shownHash ?? null,
          hash: e.hash,
        }))
      yield { rows, cursor: id, last }
    }
    if (page.next === null) return
  }
}

/** One page of the search: entries of up to PAGE_SCAN_CAP checkpoints, or `limit` rows. */
export async function searchAudit(engine: Engine, keyring: Keyring, query: AuditQuery, limit: number) {
  const rows: AuditRow[] = []
  let nextCursor: string | null = null
  let scanned = 0
  for await (const step of walkAudit(engine, keyring, query, PAGE_SCAN_CAP)) {
    scanned++
    rows.push(...step.rows)
    nextCursor = step.last ? null : step.cursor
    if (rows.length >= limit) break
  }
  if (scanned === 0) nextCursor = null
  return { rows, nextCursor, scanned, scanCap: PAGE_SCAN_CAP }
}

const CSV_COLUMNS = ['checkpoint_id', 'task', 'seq', 'at', 'kind', 'state', 'channel', 'actor', 'name', 'via', 'chain_intact', 'shown_hash', 'data'] as const

function csvCell(value: unknown): string {
  let text = value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value)
  // Spreadsheets run cells starting with these as formulas; a leading quote keeps them text.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n'
}

export function csvRow(r: AuditRow): string {
  return (
    [r.checkpointId, r.task, r.seq, r.at, r.kind, r.state, r.actor.channel, r.actor.actor, r.actor.name, r.actor.via, r.chainIntact, r.shownHash, r.data]
      .map(csvCell)
      .join(',') + '\r\n'
  )
}

export function jsonlRow(r: AuditRow): string {
  return JSON.stringify(r) + '\n'
}
