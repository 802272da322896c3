import { sha256, sha256Bytes } from './sha256.js'
import { canonicalJson } from './canonical-json.js'
import { DEFAULT_TIMEOUT_SECONDS, type CreateSpec } from './create-spec.js'

/**
 * What the agent asked for, as kept for the checkpoint's whole life. Immutable after
 * creation; the moving parts live in the machine snapshot.
 */
export interface StoredRequest extends Omit<CreateSpec, 'idempotencyKey'> {
  /** The agent token name that created it (the audit's "who"). */
  createdBy: string
  /** Hash of the rendered request (task, payload, schemas) that people are shown. */
  requestHash: string
  idempotencyKey?: string
  /** The effective `assignTo`: the agent's, or everyone notified. */
  assignTo: string[]
}

type Shown = Pick<CreateSpec, 'task' | 'payload' | 'payloadSchema' | 'responseSchema'>

/** The resume target a request names (`webhook`, `inngest`, …); '' when it names none. */
export function resumeTargetOf(request: Pick<StoredRequest, 'resume'>): string {
  return Object.keys(request.resume ?? {})[0] ?? ''
}

/** sha256 (hex) of what people are shown: task, payload and schemas, in plaintext. */
export function requestHash(request: Shown): string {
  return sha256(canonicalJson({ task: request.task, payload: request.payload, payloadSchema: request.payloadSchema, responseSchema: request.responseSchema }), 'hex')
}

/**
 * Content address of a schema's JSON text: the first 128 bits of its SHA-256, base64url. The
 * text keeps the agent's key order (forms show properties in that order), so it is hashed as
 * written, not canonicalised: the same schema sent by the same code is one stored copy
 * however many checkpoints name it. 128 bits because the address is repeated in every
 * record: passing another agent's schema off as one's own would take a second preimage
 * (2^128 work); a birthday collision (2^64) only confuses the colliding agent's own two.
 */
export function schemaHash(json: string): string {
  return sha256Bytes(json).subarray(0, 16).toString('base64url')
}

/**
 * The request as the checkpoint record holds it: each schema replaced by its content hash
 * (the schema itself is stored once, shared by every checkpoint naming it), and nothing that
 * can be derived again: the request hash (from the plaintext), `assignTo` when it is everyone
 * notified, `notify` and `timeoutSeconds` when they are the defaults.
 */
export interface CompactRequest extends Omit<StoredRequest, 'requestHash' | 'payloadSchema' | 'responseSchema' | 'assignTo' | 'notify' | 'timeoutSeconds'> {
  payloadSchema?: string
  responseSchema: string
  assignTo?: string[]
  notify?: string[]
  timeoutSeconds?: number
}

/** A request without the hash that is derived from its plaintext (what a sealed record yields). */
export type SealedRequest = Omit<StoredRequest, 'requestHash'>

const DEFAULT_NOTIFY = ['dashboard']
const same = (a: unknown, b: unknown) => canonicalJson(a) === canonicalJson(b)

export function compactRequest(request: SealedRequest): { compact: CompactRequest; schemas: Map<string, string> } {
  const { payloadSchema, responseSchema, assignTo, notify, timeoutSeconds, ...rest } = request as StoredRequest
  delete (rest as Partial<StoredRequest>).requestHash
  const schemas = new Map<string, string>()
  const ref = (schema: Record<string, unknown>) => {
    const json = JSON.stringify(schema)
    const hash = schemaHash(json)
    schemas.set(hash, json)
    return hash
  }
  const compact: CompactRequest = { ...rest, responseSchema: ref(responseSchema) }
  if (payloadSchema !== undefined) compact.payloadSchema = ref(payloadSchema)
  if (!same(notify, DEFAULT_NOTIFY)) compact.notify = notify
  if (!same(assignTo, notify)) compact.assignTo = assignTo
  if (timeoutSeconds !== DEFAULT_TIMEOUT_SECONDS) compact.timeoutSeconds = timeoutSeconds
  return { compact, schemas }
}

/** Hashes of the schemas a compact request names, in a fixed order (one per reference). */
export function schemaRefs(compact: CompactRequest): string[] {
  return compact.payloadSchema === undefined ? [compact.responseSchema] : [compact.responseSchema, compact.payloadSchema]
}

export function expandRequest(compact: CompactRequest, schemas: ReadonlyMap<string, Record<string, unknown>>): SealedRequest {
  const schema = (hash: string) => {
    const found = schemas.get(hash)
    if (!found) throw new Error(`schema ${hash} is missing`)
    return found
  }
  const { payloadSchema, responseSchema, assignTo, notify, timeoutSeconds, ...rest } = compact
  const expanded: SealedRequest = {
    ...rest,
    responseSchema: schema(responseSchema),
    notify: notify ?? [...DEFAULT_NOTIFY],
    assignTo: assignTo ?? notify ?? [...DEFAULT_NOTIFY],
    timeoutSeconds: timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS,
  }
  if (payloadSchema !== undefined) expanded.payloadSchema = schema(payloadSchema)
  return expanded
}
