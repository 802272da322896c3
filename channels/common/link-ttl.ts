/**
 * How long a link sent to a person stays valid: until the checkpoint's deadline plus a day's
 * grace (so a late click still shows the outcome), within sane bounds. Every channel that
 * sends links uses the same rule.
 */
const GRACE_SECONDS = 24 * 60 * 60
const MAX_TTL_SECONDS = 100 * 24 * 60 * 60

export function linkTtlSeconds(expiresAt: string, now = Date.now()): number {
  const untilDeadline = Math.ceil((Date.parse(expiresAt) - now) / 1000)
  return Math.min(MAX_TTL_SECONDS, Math.max(60, untilDeadline) + GRACE_SECONDS)
}

