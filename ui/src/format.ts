import type { Actor } from './api'

export const STATE_LABEL: Record<string, string> = {
  pending: 'Pending',
  delivered: 'Waiting',
  claimed: 'Claimed',
  verifying: 'Verifying',
  verified: 'Verified',
  resolved: 'Resolved',
  expired: 'Expired',
  cancelled: 'Cancelled',
  rejected: 'Rejected',
}

export const OPEN_STATES = new Set(['pending', 'delivered', 'claimed'])

export function stateLabel(state: string): string {
  return STATE_LABEL[state] ?? state
}

export function actorLabel(actor: Actor | null | undefined): string {
  if (!actor) return '—'
  if (actor.default) return 'default answer (timeout)'
  if (actor.channel === 'system') return 'Holdpoint'
  const who = actor.name ?? actor.actor
  const via = actor.channel === 'rule' ? 'standing rule' : actor.channel === 'api' ? `API${actor.via ? ` · ${actor.via}` : ''}` : actor.channel
  return `${who} (${via})`
}

export function relative(iso: string, now: number): string {
  const diff = Math.round((Date.parse(iso) - now) / 1000)
  const abs = Math.abs(diff)
  const [value, unit] =
    abs < 45 ? [0, 'now'] : abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86400), 'd']
  if (unit === 'now') return 'just now'
  return diff < 0 ? `${value} ${unit} ago` : `in ${value} ${unit}`
}

/** "12:04 left", "3 h 10 min left", or "overdue". */
export function timeLeft(expiresAt: string, now: number): string {
  const s = Math.floor((Date.parse(expiresAt) - now) / 1000)
  if (s <= 0) return 'overdue'
  if (s < 3600) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')} left`
  const h = Math.floor(s / 3600)
  if (h < 48) return `${h} h ${Math.floor((s % 3600) / 60)} min left`
  return `${Math.floor(h / 24)} days left`
}

export function dateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
}

/** `email:ana@x.com` → "ana@x.com · email"; `group:finance` → "finance · group". */
export function routeLabel(route: string): string {
  if (route === 'dashboard') return 'Dashboard (everyone)'
  const at = route.indexOf(':')
  return at < 0 ? route : `${route.slice(at + 1)} · ${route.slice(0, at)}`
}

export const KIND_LABEL: Record<string, string> = {
  created: 'Created',
  delivered: 'Delivered',
  'delivery.failed': 'Delivery failed',
  viewed: 'Viewed',
  claimed: 'Claimed',
  verifying: 'Verifying',
  released: 'Released',
  answered: 'Answered',
  verified: 'Verified',
  'verify.failed': 'Verification failed',
  resolved: 'Resolved',
  refused: 'Refused',
  resumed: 'Agent resumed',
  'resume.failed': 'Resume failed',
  'resume.redriven': 'Resume re-sent',
  timed_out: 'Timed out',
  cancelled: 'Cancelled',
  'rule.remembered': 'Decision remembered',
  'rule.revoked': 'Remembered decision revoked',
}

export function humanize(key: string): string {
  const spaced = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ')
  return spaced.charAt(0).toUpperCase() + spaced.slice(1)
}
