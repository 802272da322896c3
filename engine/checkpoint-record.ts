/**
 * A checkpoint's record: one Redis string, so a load is one GET and the value takes no
 * per-field overhead (a hash with a request of several hundred bytes can never use Redis's
 * compact encoding, and its hashtable cost ~500 bytes a checkpoint).
 *
 *   1|<version>|<audit length>|<audit head>|<request bytes>|<request JSON><snapshot JSON>
 *
 * The header is what the commit script compares and updates (engine/scripts/
 * commit-checkpoint.ts builds the same layout in Lua); the request (engine/stored-request.ts,
 * compact) never changes after creation, so the script splices a new snapshot after it
 * without parsing JSON. Lengths are in bytes, as Lua counts them. The state is not stored: it
 * is the snapshot's.
 */
export const RECORD_FORMAT = '1'

export interface RecordParts {
  version: number
  auditLength: number
  auditHead: string
  /** Compact request JSON. */
  request: string
  /** Compact snapshot JSON. */
  snapshot: string
}

const HEADER = /^1\|(\d+)\|(\d+)\|([^|]*)\|(\d+)\|/

export function parseRecord(raw: Buffer): RecordParts {
  // The header is ASCII and short; only it is decoded before the byte offsets are known.
  const header = HEADER.exec(raw.subarray(0, 256).toString('latin1'))
  if (!header) throw new Error('unknown checkpoint record format')
  const [whole, version, auditLength, auditHead, requestBytes] = header as unknown as [string, string, string, string, string]
  const start = whole.length
  const end = start + Number(requestBytes)
  return {
    version: Number(version),
    auditLength: Number(auditLength),
    auditHead,
    request: raw.subarray(start, end).toString('utf8'),
    snapshot: raw.subarray(end).toString('utf8'),
  }
}

/** The same layout as the commit script writes (for tests and fixtures). */
export function formatRecord(parts: RecordParts): string {
  return `${RECORD_FORMAT}|${parts.version}|${parts.auditLength}|${parts.auditHead}|${Buffer.byteLength(parts.request)}|${parts.request}${parts.snapshot}`
}
