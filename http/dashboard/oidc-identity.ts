import type { Directory, Person } from '../../engine/directory.js'
import type { Accounts } from './accounts.js'
import type { OidcSettings } from './oidc-config.js'

/** Why a provider's answer was not good enough to sign someone in (safe to log: no claim values). */
export class SsoRefused extends Error {
  constructor(readonly reason: string) {
    super(reason)
    this.name = 'SsoRefused'
  }
}

/** What Holdpoint takes from the provider's claims. `groups` is null when the claim is absent. */
export interface SsoIdentity {
  email: string
  name: string
  groups: string[] | null
}

/** The directory's own rule for group names; others cannot be routed to, so they are dropped. */
const GROUP_NAME = /^[\w.-]{1,64}$/
const MAX_GROUPS = 100

/**
 * Reads the signed-in person from ID token claims merged with userinfo. An email is what
 * links the provider's account to a Holdpoint person, so it is required, and when the
 * provider says whether it verified it, it must have.
 */
export function identityFrom(claims: Readonly<Record<string, unknown>>, groupsClaim: string): SsoIdentity {
  const email = claims.email
  if (typeof email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(email) || email.length > 320) throw new SsoRefused('no-email')
  // Some providers send booleans as strings ("true").
  if ('email_verified' in claims && claims.email_verified !== true && claims.email_verified !== 'true') throw new SsoRefused('email-not-verified')
  const name = [claims.name, claims.preferred_username].find((v): v is string => typeof v === 'string' && v.trim() !== '')?.trim().slice(0, 200) ?? email.split('@')[0]!
  return { email: email.toLowerCase(), name, groups: groupsOf(claims[groupsClaim]) }
}

function groupsOf(value: unknown): string[] | null {
  if (value === undefined || value === null) return null
  // An array of names, or one string (some providers send a single group as a string).
  const raw = Array.isArray(value) ? value : [value]
  return [...new Set(raw.filter((g): g is string => typeof g === 'string' && GROUP_NAME.test(g)))].slice(0, MAX_GROUPS)
}

/**
 * Finds the person by email or creates them, then takes groups and the operator role from
 * the provider: the identity provider is where membership is managed, so each sign-in
 * brings Holdpoint in line (an absent claim changes nothing, since it says nothing).
 */
export async function signInPerson(directory: Directory, accounts: Accounts, settings: Pick<OidcSettings, 'operatorGroup'>, who: SsoIdentity): Promise<{ person: Person; created: boolean }> {
  const existing = await directory.findBy('email', who.email)
  const groups = who.groups ?? existing?.groups ?? []
  const role = (current: Person['role']): Person['role'] => (settings.operatorGroup && who.groups ? (who.groups.includes(settings.operatorGroup) ? 'operator' : 'reviewer') : current)
  if (existing) {
    const sameGroups = groups.length === existing.groups.length && groups.every((g, i) => existing.groups[i] === g)
    const nextRole = role(existing.role)
    if (sameGroups && nextRole === existing.role) return { person: existing, created: false }
    return { person: await directory.upsert({ ...existing, groups, role: nextRole }), created: false }
  }
  const input = { name: who.name, email: who.email }
  const person = await directory.upsert({ ...input, id: await accounts.freeId(input), groups, role: role('reviewer') })
  return { person, created: true }
}
