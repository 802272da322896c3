import { pooledRandomBytes } from './random-pool.js'
import type { Keyring } from './keyring.js'
import { openToken, sealToken } from './signed-token.js'

/**
 * A link into the dashboard form for one checkpoint, signed in as one channel recipient
 * (an email address, a chat user) and nothing more. Channels mint it when a response
 * schema is too rich for their own UI; the dashboard accepts it at
 * `/checkpoints/:id?grant=<token>`.
 */
export const DASHBOARD_GRANT_PURPOSE = 'dashboard-grant'

export interface DashboardGrant {
  /** Checkpoint id the grant is limited to. */
  cp: string
  /** Channel the recipient was reached on. */
  ch: string
  /** Their handle on that channel (an address, a user id, a chat id). */
  h: string
  /** Nonce, so two grants for the same person differ. */
  n: string
}

export function mintDashboardLink(opts: { keyring: Keyring; publicUrl: string; checkpointId: string; channel: DashboardGrant['ch']; handle: string; ttlSeconds: number }): string {
  const claims: DashboardGrant = { cp: opts.checkpointId, ch: opts.channel, h: opts.handle, n: pooledRandomBytes(8).toString('base64url') }
  const token = sealToken(opts.keyring, DASHBOARD_GRANT_PURPOSE, { ...claims }, opts.ttlSeconds)
  return `${opts.publicUrl.replace(/\/$/, '')}/checkpoints/${opts.checkpointId}?grant=${encodeURIComponent(token)}`
}

export function openDashboardGrant(keyring: Keyring, token: string) {
  return openToken<DashboardGrant & Record<string, unknown>>(keyring, DASHBOARD_GRANT_PURPOSE, token)
}
