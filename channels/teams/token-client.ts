import { ServiceClientCredentialsFactory } from 'botframework-connector'

/**
 * The bot's outbound credentials: an OAuth 2.0 client-credentials token from
 * `<login url>/<tenant>/oauth2/v2.0/token`, cached until shortly before it expires.
 *
 * Why not the SDK's own MSAL-based credentials: MSAL insists on an https authority and asks
 * login.microsoftonline.com for instance discovery, so TEAMS_LOGIN_URL could never point at
 * a sovereign or local endpoint. This is the same request MSAL makes, and nothing more.
 */
export interface TokenSettings {
  appId: string
  password: string
  /** The bot's tenant (single-tenant apps); `botframework.com` for multi-tenant registrations. */
  tenant: string
  /** Login base, e.g. `https://login.microsoftonline.com`. */
  loginUrl: string
  fetch?: typeof fetch
}

/** A token request that the login endpoint refused or could not answer. */
export class TokenError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'TokenError'
  }
}

const REFRESH_MARGIN_MS = 5 * 60_000

interface HeadersLike {
  set(name: string, value: string): void
}

export class ClientCredentials {
  private cached: { token: string; expiresAt: number } | null = null
  private inflight: Promise<string> | null = null

  constructor(
    private readonly settings: TokenSettings,
    private readonly scope: string,
  ) {}

  tokenUrl(): string {
    return `${this.settings.loginUrl.replace(/\/+$/, '')}/${encodeURIComponent(this.settings.tenant)}/oauth2/v2.0/token`
  }

  async token(): Promise<string> {
    if (this.cached && this.cached.expiresAt - REFRESH_MARGIN_MS > Date.now()) return this.cached.token
    // One request at a time: a burst of deliveries shares the fresh token.
    this.inflight ??= this.request().finally(() => {
      this.inflight = null
    })
    return this.inflight
  }

  /** The SDK's `ServiceClientCredentials`: every Bot Connector call is signed here. */
  async signRequest<R extends { headers: HeadersLike }>(resource: R): Promise<R> {
    resource.headers.set('authorization', `Bearer ${await this.token()}`)
    return resource
  }

  private async request(): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.settings.appId,
      client_secret: this.settings.password,
      scope: this.scope.endsWith('/.default') ? this.scope : `${this.scope}/.default`,
    })
    const res = await (this.settings.fetch ?? fetch)(this.tokenUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(15_000),
    })
    const json = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown }
    if (!res.ok || typeof json.access_token !== 'string') {
      // The error code only: the body may echo request details.
      throw new TokenError(`token endpoint answered ${res.status}${typeof json.error === 'string' ? ` (${json.error})` : ''}`, res.status)
    }
    const seconds = typeof json.expires_in === 'number' ? json.expires_in : Number(json.expires_in ?? 3600)
    this.cached = { token: json.access_token, expiresAt: Date.now() + (Number.isFinite(seconds) ? seconds : 3600) * 1000 }
    return json.access_token
  }
}

/**
 * The credentials factory the SDK's authentication asks for outbound credentials. Only this
 * bot's app id is valid; one credentials object per audience keeps one cached token each.
 */
export class ClientCredentialsFactory extends ServiceClientCredentialsFactory {
  private readonly byScope = new Map<string, ClientCredentials>()

  constructor(private readonly settings: TokenSettings) {
    super()
  }

  isValidAppId(appId: string): Promise<boolean> {
    return Promise.resolve(appId === this.settings.appId)
  }

  isAuthenticationDisabled(): Promise<boolean> {
    return Promise.resolve(false)
  }

  credentialsFor(audience: string): ClientCredentials {
    let credentials = this.byScope.get(audience)
    if (!credentials) {
      credentials = new ClientCredentials(this.settings, audience)
      this.byScope.set(audience, credentials)
    }
    return credentials
  }

  createCredentials(appId: string, audience: string | undefined): Promise<ClientCredentials> {
    if (appId !== this.settings.appId) return Promise.reject(new Error('Invalid appId.'))
    return Promise.resolve(this.credentialsFor(audience ?? BOT_FRAMEWORK_SCOPE))
  }
}

export const BOT_FRAMEWORK_SCOPE = 'https://api.botframework.com'
