import { describe, expect, it } from 'vitest'
import { dashboardPlugin } from '../../http/dashboard/module.js'
import { safeNext } from '../../http/dashboard/oidc-flow.js'
import { identityFrom, SsoRefused } from '../../http/dashboard/oidc-identity.js'

/** The pure parts of single sign-on: settings, claims, the `next` address. */
const plugin = dashboardPlugin()
const problemsOf = (env: Record<string, string>) => {
  const result = plugin.load(env)
  return 'problems' in result ? result.problems.map((p) => p.variable).sort() : []
}
const full = { HOLDPOINT_OIDC_ISSUER: 'https://id.example.com', HOLDPOINT_OIDC_CLIENT_ID: 'hp', HOLDPOINT_OIDC_CLIENT_SECRET: 's3cret' }

describe('SSO settings', () => {
  it('are optional, and complete when given', () => {
    expect(problemsOf({})).toEqual([])
    expect(problemsOf(full)).toEqual([])
    expect(problemsOf({ HOLDPOINT_OIDC_ISSUER: 'https://id.example.com' })).toEqual(['HOLDPOINT_OIDC_CLIENT_ID', 'HOLDPOINT_OIDC_CLIENT_SECRET'])
  })

  it('take plain http only from an issuer on this machine', () => {
    expect(problemsOf({ ...full, HOLDPOINT_OIDC_ISSUER: 'http://id.example.com' })).toEqual(['HOLDPOINT_OIDC_ISSUER'])
    expect(problemsOf({ ...full, HOLDPOINT_OIDC_ISSUER: 'http://127.0.0.1:9000' })).toEqual([])
    expect(problemsOf({ ...full, HOLDPOINT_OIDC_ISSUER: 'http://localhost:9000' })).toEqual([])
  })

  it('switch password sign-in off only when SSO is there instead', () => {
    expect(problemsOf({ HOLDPOINT_PASSWORD_LOGIN: 'off' })).toEqual(['HOLDPOINT_PASSWORD_LOGIN'])
    expect(problemsOf({ ...full, HOLDPOINT_PASSWORD_LOGIN: 'off' })).toEqual([])
    expect(problemsOf({ ...full, HOLDPOINT_PASSWORD_LOGIN: 'no' })).toEqual(['HOLDPOINT_PASSWORD_LOGIN'])
  })
})

describe('identity from claims', () => {
  const refused = (claims: Record<string, unknown>) => {
    try {
      identityFrom(claims, 'groups')
      return null
    } catch (error) {
      return error instanceof SsoRefused ? error.reason : 'other'
    }
  }

  it('needs an email, verified when the provider says', () => {
    expect(refused({ sub: 'x' })).toBe('no-email')
    expect(refused({ sub: 'x', email: 'not-an-email' })).toBe('no-email')
    expect(refused({ sub: 'x', email: 'a@example.com', email_verified: false })).toBe('email-not-verified')
    expect(refused({ sub: 'x', email: 'a@example.com', email_verified: 'true' })).toBeNull()
    expect(refused({ sub: 'x', email: 'a@example.com' })).toBeNull()
  })

  it('maps groups 1:1, dropping names the directory cannot hold, and tells an absent claim from an empty one', () => {
    expect(identityFrom({ email: 'A@Example.com', name: ' Ana ', groups: ['ops', 'ops', 'a b', 7, 'x'.repeat(65), 'fin.eu'] }, 'groups')).toEqual({ email: 'a@example.com', name: 'Ana', groups: ['ops', 'fin.eu'] })
    expect(identityFrom({ email: 'a@example.com', roles: 'ops' }, 'roles').groups).toEqual(['ops'])
    expect(identityFrom({ email: 'a@example.com', groups: [] }, 'groups').groups).toEqual([])
    expect(identityFrom({ email: 'a@example.com' }, 'groups')).toEqual({ email: 'a@example.com', name: 'a', groups: null })
    expect(identityFrom({ email: 'a@example.com', preferred_username: 'ana.b' }, 'groups').name).toBe('ana.b')
  })
})

describe('next address after sign-in', () => {
  it('stays on this site', () => {
    expect(safeNext('/checkpoints/cp_1?x=1')).toBe('/checkpoints/cp_1?x=1')
    for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', '/login?next=/x', '/auth/oidc/login', '/a\nb', undefined, ['/a']]) expect(safeNext(bad)).toBe('/')
  })
})
