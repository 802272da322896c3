import { createHmac, timingSafeEqual } from 'node:crypto'

/** Slack's replay window: requests older (or newer) than five minutes are refused. */
export const SIGNATURE_WINDOW_SECONDS = 5 * 60

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' }

/**
 * Slack's `v0` request signature: HMAC-SHA256 over `v0:<timestamp>:<raw body>` with the
 * signing secret, compared in constant time. The timestamp must be within the window in
 * both directions, so a captured request cannot be replayed later or pre-dated.
 */
export function verifySlackSignature(opts: { secret: string; rawBody: Buffer; timestamp: string | undefined; signature: string | undefined; nowMs: number }): SignatureCheck {
  const { timestamp, signature } = opts
  if (!timestamp || !signature) return { ok: false, reason: 'missing' }
  if (!/^\d{1,12}$/.test(timestamp) || !/^v0=[0-9a-f]{64}$/.test(signature)) return { ok: false, reason: 'malformed' }
  if (Math.abs(Math.floor(opts.nowMs / 1000) - Number(timestamp)) > SIGNATURE_WINDOW_SECONDS) return { ok: false, reason: 'stale' }
  const mac = createHmac('sha256', opts.secret).update(`v0:${timestamp}:`).update(opts.rawBody).digest()
  const given = Buffer.from(signature.slice(3), 'hex')
  return given.length === mac.length && timingSafeEqual(given, mac) ? { ok: true } : { ok: false, reason: 'mismatch' }
}

/** The signature Slack would send; for tests and local tooling. */
export function signSlackRequest(secret: string, timestamp: number, rawBody: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex')}`
}
