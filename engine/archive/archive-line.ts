import type { CheckpointState } from '../../machine/types.js'
import { AtRest } from '../at-rest.js'
import { verifyChain, type AuditEntry, type ChainCheck } from '../audit.js'
import type { StoredAuditEntry } from '../audit-format.js'
import type { LoadedCheckpoint } from '../checkpoint-store.js'
import { toView, type CheckpointView } from '../checkpoint-view.js'
import type { FieldCipher } from '../field-cipher.js'
import type { Keyring } from '../keyring.js'
import { decodeSnapshot } from '../snapshot-codec.js'
import type { StoredRequest } from '../stored-request.js'

export const ARCHIVE_FORMAT = 1

/** The checkpoint hash exactly as Redis held it (engine/keys.ts), for a faithful record. */
export interface StoredFields {
  req: string
  snap: string
  ver: string
  state: string
  head: string
  upd: string
}

/**
 * One line of an archive file: one finished checkpoint. Everything sealed in Redis stays
 * sealed here (payload, answers, audit data): `view` is the API view computed from the sealed
 * values, `stored` the hash fields as Redis held them, `audit` the entries as Redis held them
 * (v1 or compact v2, engine/audit-format.ts).
 * A pure function of what Redis held, so archiving the same checkpoint twice (a crash before
 * the Redis delete) writes an identical line.
 */
export interface ArchiveLine {
  format: typeof ARCHIVE_FORMAT
  id: string
  state: string
  finishedAt: string
  view: CheckpointView
  stored: StoredFields
  audit: StoredAuditEntry[]
}

export function buildLine(id: string, stored: StoredFields, rawAudit: readonly string[], finishedAt: number, publicUrl: string): ArchiveLine {
  const sealed: LoadedCheckpoint = {
    id,
    request: JSON.parse(stored.req) as StoredRequest,
    persisted: decodeSnapshot(stored.snap),
    state: stored.state as CheckpointState,
    version: Number(stored.ver),
    auditHead: stored.head,
    auditLength: rawAudit.length,
  }
  return {
    format: ARCHIVE_FORMAT,
    id,
    state: stored.state,
    finishedAt: new Date(finishedAt).toISOString(),
    view: toView(sealed, publicUrl),
    stored,
    audit: rawAudit.map((line) => JSON.parse(line) as StoredAuditEntry),
  }
}

/** A line with its sealed fields opened: what `holdpoint archive read` prints. */
export interface OpenedLine {
  id: string
  state: string
  finishedAt: string
  checkpoint: CheckpointView
  audit: AuditEntry[]
}

export function openLine(line: ArchiveLine, cipher: FieldCipher): OpenedLine {
  const atRest = new AtRest(cipher)
  const request = atRest.openRequest(JSON.parse(line.stored.req) as StoredRequest)
  const persisted = atRest.openSnapshot(decodeSnapshot(line.stored.snap))
  const opened: LoadedCheckpoint = {
    id: line.id,
    request,
    persisted,
    state: line.stored.state as CheckpointState,
    version: Number(line.stored.ver),
    auditHead: line.stored.head,
    auditLength: line.audit.length,
  }
  // The links were fixed at archive time; keep them rather than invent a URL here.
  const checkpoint = { ...toView(opened, 'http://archive.invalid'), links: line.view.links }
  return { id: line.id, state: line.state, finishedAt: line.finishedAt, checkpoint, audit: atRest.openAudit(line.audit) }
}

/**
 * The audit chain of one line, checked as the API checks a live one: opened, then every link
 * and HMAC verified; an entry that no longer opens (ciphertext altered) is broken too. The
 * head stored with the checkpoint must be the last entry's hash, so dropping the tail shows.
 */
export function verifyLine(line: ArchiveLine, keyring: Keyring, cipher: FieldCipher): ChainCheck {
  const entries = new AtRest(cipher).openAudit(line.audit)
  const chain = verifyChain(keyring, entries)
  if (!chain.intact) return chain
  const last = entries[entries.length - 1]
  if (!last || last.hash !== line.stored.head) return { intact: false, brokenAt: entries.length, reason: 'the audit ends before the head the checkpoint recorded' }
  return chain
}

/** A line's audit in the readers' shape with its sealed parts left sealed: how a chain that does not verify is exported. */
export function sealedAudit(line: ArchiveLine): AuditEntry[] {
  return new AtRest(null).openAudit(line.audit)
}
