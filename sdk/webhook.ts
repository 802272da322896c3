// Resume webhooks are how Holdpoint wakes a durable agent; anyone can POST to the agent's
// URL, so nothing in the body may be trusted before its Standard Webhooks signature and
// timestamp are checked here.
import { z } from 'zod'
import { WebhookVerificationError } from './errors.js'
import { base64Decode, base64Encode, hmacSha256, secretKeyBytes, signedContent, timingSafeEqual } from './hmac.js'
import type { RespondedBy, TerminalCheckpointState } from './types.js'

export type ResumeEventType = 'checkpoint.resolved' | 'checkpoint.expired' | 'checkpoint.cancelled' | 'checkpoint.rejected'

/** The body of a resume webhook (api.md "Resume webhook"). */
export interface ResumeEvent {
  type: ResumeEventType
  timestamp: string
  data: {
    checkpointId: string
    state: TerminalCheckpointState
    response: unknown
    respondedBy: RespondedBy | null
    idempotencyKey: string | null
    metadata: Record<string, unknown>
    [key: string]: unknown
  }
}

/** A `Headers` object or a plain record such as Node's `IncomingHttpHeaders`, in any case. */
export type WebhookHeaders = Headers | Record<string, string | readonly string[] | undefined>

export interface VerifyWebhookOptions {
  /** `whsec_…`: HOLDPOINT_WEBHOOK_SECRET, or the checkpoint's own `resume.webhook.secret`. */
  secret: string
  headers: WebhookHeaders
  /** The raw request body exactly as received: re-serialised JSON will not verify. */
  body: string | Uint8Array
  /** Largest accepted distance between `webhook-timestamp` and now, either way. Default 300. */
  toleranceSeconds?: number
  /** The current time (a Date or epoch milliseconds); injectable for tests. */
  now?: Date | number
}

export interface SignWebhookOptions {
  secret: string
  id: string
  /** Unix seconds, as sent in `webhook-timestamp`. */
  timestamp: number
  body: string | Uint8Array
}

const resumeEventShape = z.looseObject({
  type: z.enum(['checkpoint.resolved', 'checkpoint.expired', 'checkpoint.cancelled', 'checkpoint.rejected']),
  timestamp: z.string(),
  data: z.looseObject({
    checkpointId: z.string(),
    state: z.enum(['resolved', 'expired', 'cancelled', 'rejected']),
    response: z.unknown(),
    respondedBy: z.looseObject({ channel: z.string(), actor: z.string() }).nullish(),
    idempotencyKey: z.string().nullish(),
    metadata: z.record(z.string(), z.unknown()).nullish(),
  }),
})

function header(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name) continue
    if (value === undefined) return undefined
    return typeof value === 'string' ? value : value.join(' ')
  }
  return undefined
}

function keyOf(secret: string): Uint8Array {
  const key = secretKeyBytes(secret)
  if (key === undefined) throw new WebhookVerificationError('invalid_secret', 'The webhook secret is not a whsec_<base64> value')
  return key
}

async function signature(key: Uint8Array, id: string, timestamp: string, body: string | Uint8Array): Promise<Uint8Array> {
  return hmacSha256(key, signedContent(id, timestamp, body))
}

/** Returns the `webhook-signature` header value (`v1,<base64>`) for a payload. */
export async function signWebhook(options: SignWebhookOptions): Promise<string> {
  const bytes = await signature(keyOf(options.secret), options.id, String(options.timestamp), options.body)
  return `v1,${base64Encode(bytes)}`
}

/** All three Standard Webhooks headers for a payload; `timestamp` defaults to now. */
export async function webhookHeaders(
  options: Omit<SignWebhookOptions, 'timestamp'> & { timestamp?: number },
): Promise<{ 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
  return {
    'webhook-id': options.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signWebhook({ ...options, timestamp }),
  }
}

/**
 * Verifies a resume webhook and returns its parsed body. Throws WebhookVerificationError
 * (with a `reason`) for missing headers, a timestamp outside the tolerance, no matching
 * signature, or a body that is not a resume event. Dedupe on `webhook-id`: retries reuse it.
 */
export async function verifyWebhook(options: VerifyWebhookOptions): Promise<ResumeEvent> {
  const id = header(options.headers, 'webhook-id')
  const timestamp = header(options.headers, 'webhook-timestamp')
  const signatures = header(options.headers, 'webhook-signature')
  if (id === undefined || timestamp === undefined || signatures === undefined) {
    throw new WebhookVerificationError(
      'missing_header',
      'Missing webhook-id, webhook-timestamp or webhook-signature header',
    )
  }
  if (!/^\d{1,15}$/.test(timestamp.trim())) {
    throw new WebhookVerificationError('invalid_timestamp', `webhook-timestamp ${JSON.stringify(timestamp)} is not Unix seconds`)
  }
  // Checked before the signature: a replay of a genuine old request must fail too.
  const nowMs = options.now === undefined ? Date.now() : Number(options.now)
  const tolerance = options.toleranceSeconds ?? 300
  const skew = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp.trim()))
  if (skew > tolerance) {
    throw new WebhookVerificationError(
      'timestamp_out_of_tolerance',
      `webhook-timestamp is ${skew}s away from now (tolerance ${tolerance}s)`,
    )
  }

  const expected = await signature(keyOf(options.secret), id, timestamp.trim(), options.body)
  // Several signatures are sent while a secret rotates; one match is enough.
  const matched = signatures
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => base64Decode(entry.slice(3)))
    .some((candidate) => candidate !== undefined && timingSafeEqual(candidate, expected))
  if (!matched) throw new WebhookVerificationError('no_matching_signature', 'No webhook-signature matches this body and secret')

  const text = typeof options.body === 'string' ? options.body : new TextDecoder().decode(options.body)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new WebhookVerificationError('invalid_payload', 'The signed body is not JSON')
  }
  const result = resumeEventShape.safeParse(json)
  if (!result.success) {
    throw new WebhookVerificationError('invalid_payload', `The signed body is not a resume event: ${z.prettifyError(result.error)}`)
  }
  const { data } = result.data
  return {
    ...result.data,
    data: {
      ...data,
      respondedBy: data.respondedBy ?? null,
      idempotencyKey: data.idempotencyKey ?? null,
      metadata: data.metadata ?? {},
    },
  }
}
