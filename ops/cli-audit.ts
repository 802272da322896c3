import { createWriteStream } from 'node:fs'
import type { Writable } from 'node:stream'
import type { ApiClient } from './cli-api.js'
import { archivedAudits, type ArchiveCli } from './cli-archive.js'

export interface AuditExportOptions {
  format: 'jsonl' | 'csv'
  /** A file path; stdout otherwise. */
  out?: string | undefined
  /** Fail (exit 1) when any checkpoint's hash chain does not verify on the server. */
  verify: boolean
  state?: string | undefined
  /** Also the checkpoints retention moved to the archive directory on this machine. */
  archive?: ArchiveCli | undefined
}

interface AuditEntry {
  seq: number
  at: string
  kind: string
  state: string
  actor: { channel: string; actor: string; name?: string }
  shownHash?: string
  data?: unknown
  prev: string
  hash: string
  kid: string
}

const CSV_COLUMNS = ['checkpointId', 'seq', 'at', 'kind', 'state', 'channel', 'actor', 'name', 'shownHash', 'data', 'prev', 'hash', 'kid'] as const

function csvCell(value: unknown): string {
  const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

function csvRow(id: string, e: AuditEntry): string {
  const row = [id, e.seq, e.at, e.kind, e.state, e.actor.channel, e.actor.actor, e.actor.name, e.shownHash, e.data, e.prev, e.hash, e.kid]
  return `${row.map(csvCell).join(',')}\n`
}

/** A one-line progress bar on a terminal; silent when stderr is a pipe or a file. */
function progress(total: number): { tick(): void; done(): void } {
  const tty = process.stderr.isTTY
  let n = 0
  const draw = () => {
    const width = 30
    const filled = total === 0 ? width : Math.round((n / total) * width)
    process.stderr.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total} checkpoints`)
  }
  return {
    tick() {
      n++
      if (tty && (n % 10 === 0 || n === total)) draw()
    },
    done() {
      if (tty) process.stderr.write('\n')
    },
  }
}

async function write(stream: Writable, chunk: string): Promise<void> {
  if (!stream.write(chunk)) await new Promise((resolve) => stream.once('drain', resolve))
}

/**
 * Exports the audit trail of every checkpoint, one entry per line (JSONL) or row (CSV).
 * Returns the ids whose chain the server reports broken.
 */
export async function exportAudit(api: ApiClient, options: AuditExportOptions): Promise<{ checkpoints: number; entries: number; broken: string[] }> {
  const ids: string[] = []
  for await (const id of api.ids(options.state)) ids.push(id)
  const out: Writable = options.out ? createWriteStream(options.out) : process.stdout
  const bar = progress(ids.length)
  const broken: string[] = []
  let entries = 0
  if (options.format === 'csv') await write(out, `${CSV_COLUMNS.join(',')}\n`)
  for (const id of ids) {
    const audit = await api.call<{ entries: AuditEntry[]; chain: { intact: boolean } }>('GET', `/v1/checkpoints/${id}/audit`)
    if (!audit.chain.intact) broken.push(id)
    for (const entry of audit.entries) {
      await write(out, options.format === 'csv' ? csvRow(id, entry) : `${JSON.stringify({ checkpointId: id, ...entry })}\n`)
      entries++
    }
    bar.tick()
  }
  bar.done()
  let checkpoints = ids.length
  if (options.archive) {
    const live = new Set(ids)
    for await (const archived of archivedAudits(options.archive)) {
      // Archived but not yet deleted (a crash in between): Redis already gave its audit.
      if (live.has(archived.checkpointId)) continue
      if (options.state !== undefined && archived.entries.at(-1)?.state !== options.state) continue
      checkpoints++
      if (!archived.intact) broken.push(archived.checkpointId)
      for (const entry of archived.entries as unknown as AuditEntry[]) {
        await write(out, options.format === 'csv' ? csvRow(archived.checkpointId, entry) : `${JSON.stringify({ checkpointId: archived.checkpointId, ...entry })}\n`)
        entries++
      }
    }
  }
  if (options.out) await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())))
  return { checkpoints, entries, broken }
}
