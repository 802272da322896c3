import { randomBytes } from 'node:crypto'
import type { RedisClient } from '../../engine/redis-client.js'
import * as oidc from 'openid-client'
import { DashKeys } from './keys.js'
import type { OidcSettings } from './oidc-config.js'
import { SsoRefused } from './oidc-identity.js'

/** How long a browser may spend at the provider between leaving and coming back. */
export const FLOW_TTL_SECONDS = 10 * 60

/** What one sign-in attempt must find again on the way back; kept in Redis, never in the browser. */
interface Flow {
  state: string
  nonce: string
  verifier: string
  next: string
}

/**
 * The authorization code flow with PKCE against one OpenID provider. The provider's metadata
 * is discovered on first use (and again after a failure), so a provider that is down while
 * Holdpoint starts does not keep the dashboard from starting.
 */
export class OidcFlow {
  private readonly keys: DashKeys
  private config: Promise<oidc.Configuration> | null = null
  readonly redirectUri: string

  constructor(
    private readonly settings: OidcSettings,
    private readonly redis: RedisClient,
    prefix: string,
    publicUrl: string,
  ) {
    this.keys = new DashKeys(prefix)
    this.redirectUri = `${publicUrl}/auth/oidc/callback`
  }

  private configuration(): Promise<oidc.Configuration> {
    this.config ??= oidc
      .discovery(this.settings.issuer, this.settings.clientId, { client_secret: this.settings.clientSecret }, oidc.ClientSecretBasic(this.settings.clientSecret), {
        // See OidcSettings.allowInsecure: loopback http issuers only, never a remote one.
        ...(this.settings.allowInsecure && { execute: [oidc.allowInsecureRequests] }),
      })
      .catch((error: unknown) => {
        this.config = null
        throw error
      })
    return this.config
  }

  /** Starts a sign-in: remembers its secrets under a fresh id and says where to send the browser. */
  async begin(next: string): Promise<{ flowId: string; url: URL }> {
    const config = await this.configuration()
    const flow: Flow = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), next }
    const flowId = randomBytes(24).toString('base64url')
    await this.redis.set(this.keys.oidcFlow(flowId), JSON.stringify(flow), 'EX', FLOW_TTL_SECONDS)
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.redirectUri,
      scope: this.settings.scopes,
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    })
    return { flowId, url }
  }

  /**
   * Finishes a sign-in: the flow is taken once (a replayed callback finds nothing), the code is
   * exchanged with the PKCE verifier, and openid-client checks state, the ID token's
   * signature, issuer, audience, expiry and nonce. Userinfo is merged in because many
   * providers put only the subject in the ID token.
   */
  async finish(flowId: string, callbackQuery: string): Promise<{ claims: Record<string, unknown>; next: string }> {
    const raw = await this.redis.getdel(this.keys.oidcFlow(flowId))
    if (!raw) throw new SsoRefused('unknown-or-expired-flow')
    const flow = JSON.parse(raw) as Flow
    const config = await this.configuration()
    // The URL the provider redirected to, rebuilt on the public URL so it matches redirect_uri behind proxies.
    const current = new URL(this.redirectUri)
    current.search = callbackQuery
    const tokens = await oidc.authorizationCodeGrant(config, current, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true })
    const idClaims = tokens.claims()
    if (!idClaims) throw new SsoRefused('no-id-token')
    let userinfo: Record<string, unknown> = {}
    if (config.serverMetadata().userinfo_endpoint) {
      userinfo = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub)
    }
    // The ID token's own claims (iss, aud, sub, nonce) win over anything userinfo says.
    return { claims: { ...userinfo, ...idClaims }, next: flow.next }
  }
}

/** Only a path on this site, never a scheme-relative or backslash trick that leaves it. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000) return '/'
  if (!next.startsWith('/') || next.startsWith('//') || next.includes('\\') || [...next].some((c) => c.charCodeAt(0) < 0x20)) return '/'
  if (next.startsWith('/login') || next.startsWith('/auth/')) return '/'
  return next
}
