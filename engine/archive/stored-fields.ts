import { stateOf } from '../../machine/index.js'
import { snapshotBaseline } from '../checkpoint-input.js'
import type { RecordParts } from '../checkpoint-record.js'
import { decodeCompactSnapshot, encodeSnapshot } from '../snapshot-codec.js'
import type { SealedRequest } from '../stored-request.js'
import type { StoredFields } from './archive-line.js'

/**
 * A one-string record as an archive line keeps it: the fields of the hash layout of before
 * (request with its schemas in place, the standalone snapshot encoding), so a line reads on
 * its own, after its shared schemas have left Redis, and lines of either layout read alike.
 * Sealed values are carried over as they are; a pure function of what Redis held.
 */
export function storedFieldsOf(id: string, record: RecordParts, request: SealedRequest): StoredFields {
  const persisted = decodeCompactSnapshot(record.snapshot, snapshotBaseline(id, request))
  return {
    req: JSON.stringify(request),
    snap: encodeSnapshot(persisted),
    ver: String(record.version),
    state: stateOf(persisted),
    head: record.auditHead,
    upd: String(persisted.context.updatedAt),
  }
}
