import type { PersistedCheckpoint } from '../machine/index.js'
import type { AuditEntry } from './audit.js'
import { decodeEntries, encodeEntry, type CompactEntry } from './audit-format.js'
import type { FieldCipher } from './field-cipher.js'
import type { StoredRequest } from './stored-request.js'

/**
 * Which fields are sealed at rest, in one place: the request's payload, every answer the
 * machine holds, and what audit entries record people saying (answers, free text, reasons:
 * engine/audit-format.ts says which `data` keys stay readable). The machine and the audit
 * chain always see plaintext; only Redis holds ciphertext.
 */
type Transform = (value: unknown) => unknown

function mapContext(p: PersistedCheckpoint, f: Transform): PersistedCheckpoint {
  const c = p.context
  return {
    value: p.value,
    context: {
      ...c,
      response: f(c.response),
      onTimeout: c.onTimeout ? { response: f(c.onTimeout.response) } : null,
      pendingAnswer: c.pendingAnswer ? { ...c.pendingAnswer, response: f(c.pendingAnswer.response) } : (c.pendingAnswer ?? null),
      answers: (c.answers ?? []).map((a) => ({ ...a, response: f(a.response) })),
    },
  }
}

function mapRequest(r: StoredRequest, f: Transform): StoredRequest {
  const out = { ...r }
  if (r.payload !== undefined) out.payload = f(r.payload)
  if (r.onTimeout !== undefined) out.onTimeout = { response: f(r.onTimeout.response) }
  return out
}

export class AtRest {
  constructor(private readonly cipher: FieldCipher | null) {}

  private get seal(): Transform {
    return (v) => (this.cipher ? this.cipher.seal(v) : v)
  }
  private get open(): Transform {
    return (v) => (this.cipher ? this.cipher.open(v) : v)
  }

  sealRequest(r: StoredRequest): StoredRequest {
    return mapRequest(r, this.seal)
  }
  openRequest(r: StoredRequest): StoredRequest {
    return mapRequest(r, this.open)
  }
  sealSnapshot(p: PersistedCheckpoint): PersistedCheckpoint {
    return mapContext(p, this.seal)
  }
  openSnapshot(p: PersistedCheckpoint): PersistedCheckpoint {
    return mapContext(p, this.open)
  }
  /** The stored (v2) form of a new entry. */
  sealAudit(e: AuditEntry): CompactEntry {
    return encodeEntry(e, this.cipher)
  }
  /** A whole stored audit list (parsed lines, in order), as readers see it. */
  openAudit(stored: readonly unknown[]): AuditEntry[] {
    return decodeEntries(stored, this.cipher)
  }
}
