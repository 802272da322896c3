import { createServer, type Server } from 'node:http'
import Provider from 'oidc-provider'
import { freePort } from '../support/free-port.js'

/** What the test provider says about one of its accounts (the login typed on its form). */
export interface ProviderAccount {
  email?: string
  email_verified?: boolean
  name?: string
  groups?: string[]
}

export interface TestProvider {
  issuer: string
  clientId: string
  clientSecret: string
  /** Accounts by login; edit between sign-ins to change what the provider claims. */
  accounts: Map<string, ProviderAccount>
  close(): Promise<void>
}

/**
 * A real OpenID provider (oidc-provider) on a free loopback port, plain http, with its
 * development login and consent pages: any password is accepted for a login in `accounts`.
 * Claims come by scope; `groups` is a scope of its own, as with Okta.
 */
export async function startTestProvider(redirectUris: string[]): Promise<TestProvider> {
  const port = await freePort()
  const issuer = `http://127.0.0.1:${port}`
  const clientId = 'holdpoint-test'
  const clientSecret = 'a-test-client-secret-that-is-long-enough'
  const accounts = new Map<string, ProviderAccount>()
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: redirectUris, grant_types: ['authorization_code'], response_types: ['code'] }],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    cookies: { keys: ['sso-test-cookie-key'] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    findAccount: (_ctx, id) => {
      const account = accounts.get(id)
      return Promise.resolve(account ? { accountId: id, claims: () => ({ sub: id, ...account }) } : undefined)
    },
  })
  const server: Server = createServer(provider.callback())
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
