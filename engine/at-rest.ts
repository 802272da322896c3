import type { PersistedCheckpoint } from '../machine/index.js'
import type { AuditEntry } from './audit.js'
import type { FieldCipher } from './field-cipher.js'
import type { StoredRequest } from './stored-request.js'

/**
 * Which fields are sealed at rest, in one place: the request's payload, every answer the
 * machine holds, and the free-form `data` of audit entries (answers, free text, reasons).
 * The machine and the audit chain always see plaintext; only Redis holds ciphertext.
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
  sealAudit(e: AuditEntry): AuditEntry {
    return e.data === undefined ? e : { ...e, data: this.seal(e.data) as Record<string, unknown> }
  }
  openAudit(e: AuditEntry): AuditEntry {
    return e.data === undefined ? e : { ...e, data: this.open(e.data) as Record<string, unknown> }
  }
}
