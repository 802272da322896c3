import { z } from 'zod'

/**
 * Single sign-on settings, read with the dashboard plugin's env. Issuer, client id and
 * secret come together or not at all; switching password sign-in off needs SSO on, or nobody
 * could sign in.
 */
export const oidcEnv = {
  HOLDPOINT_OIDC_ISSUER: z.url().optional(),
  HOLDPOINT_OIDC_CLIENT_ID: z.string().min(1).optional(),
  HOLDPOINT_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  HOLDPOINT_OIDC_SCOPES: z.string().trim().min(1).default('openid email profile'),
  HOLDPOINT_OIDC_GROUPS_CLAIM: z.string().trim().min(1).default('groups'),
  HOLDPOINT_OIDC_OPERATOR_GROUP: z.string().trim().min(1).optional(),
  HOLDPOINT_PASSWORD_LOGIN: z.enum(['on', 'off']).default('on'),
}

type OidcEnv = z.output<z.ZodObject<typeof oidcEnv>>

export interface OidcSettings {
  issuer: URL
  clientId: string
  clientSecret: string
  scopes: string
  groupsClaim: string
  operatorGroup: string | null
  /**
   * Plain-http requests to the issuer. openid-client refuses them by default, which is right in
   * production; only an issuer on this machine (a provider started by a test or a local
   * development set-up) gets them, since nothing crosses a network there.
   */
  allowInsecure: boolean
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]'])

export function isLoopbackHttp(url: URL): boolean {
  return url.protocol === 'http:' && LOOPBACK.has(url.hostname)
}

/** Refinement for the plugin's env object: reports half-done or unsafe SSO settings. */
export function checkOidcEnv(env: OidcEnv, issues: z.RefinementCtx): void {
  const given = (['HOLDPOINT_OIDC_ISSUER', 'HOLDPOINT_OIDC_CLIENT_ID', 'HOLDPOINT_OIDC_CLIENT_SECRET'] as const).filter((k) => env[k] !== undefined)
  if (given.length > 0 && given.length < 3) {
    for (const k of ['HOLDPOINT_OIDC_ISSUER', 'HOLDPOINT_OIDC_CLIENT_ID', 'HOLDPOINT_OIDC_CLIENT_SECRET'] as const) {
      if (env[k] === undefined) issues.addIssue({ code: 'custom', path: [k], message: 'is required when single sign-on is configured' })
    }
  }
  if (env.HOLDPOINT_OIDC_ISSUER !== undefined) {
    const issuer = new URL(env.HOLDPOINT_OIDC_ISSUER)
    if (issuer.protocol !== 'https:' && !isLoopbackHttp(issuer)) {
      issues.addIssue({ code: 'custom', path: ['HOLDPOINT_OIDC_ISSUER'], message: 'must be https (plain http only for an issuer on 127.0.0.1 or localhost)' })
    }
  }
  if (env.HOLDPOINT_PASSWORD_LOGIN === 'off' && given.length < 3) {
    issues.addIssue({ code: 'custom', path: ['HOLDPOINT_PASSWORD_LOGIN'], message: 'can be off only when single sign-on (HOLDPOINT_OIDC_*) is configured' })
  }
}

/** The SSO settings, or null when single sign-on is not configured. */
export function oidcSettings(env: OidcEnv): OidcSettings | null {
  if (!env.HOLDPOINT_OIDC_ISSUER || !env.HOLDPOINT_OIDC_CLIENT_ID || !env.HOLDPOINT_OIDC_CLIENT_SECRET) return null
  const issuer = new URL(env.HOLDPOINT_OIDC_ISSUER)
  return {
    issuer,
    clientId: env.HOLDPOINT_OIDC_CLIENT_ID,
    clientSecret: env.HOLDPOINT_OIDC_CLIENT_SECRET,
    scopes: env.HOLDPOINT_OIDC_SCOPES,
    groupsClaim: env.HOLDPOINT_OIDC_GROUPS_CLAIM,
    operatorGroup: env.HOLDPOINT_OIDC_OPERATOR_GROUP ?? null,
    allowInsecure: isLoopbackHttp(issuer),
  }
}
