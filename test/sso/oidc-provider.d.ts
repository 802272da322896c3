/** The little of oidc-provider (which ships no types) that the SSO tests use. */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http'

  export interface AccountClaims {
    sub: string
    [claim: string]: unknown
  }
  export interface Account {
    accountId: string
    claims(use: string, scope: string): Promise<AccountClaims> | AccountClaims
  }
  export interface Configuration {
    clients?: Array<Record<string, unknown>>
    claims?: Record<string, string[]>
    cookies?: { keys: string[] }
    features?: Record<string, { enabled: boolean }>
    findAccount?: (ctx: unknown, id: string) => Promise<Account | undefined>
    pkce?: { required?: () => boolean }
  }
  export default class Provider {
    constructor(issuer: string, configuration?: Configuration)
    callback(): (req: IncomingMessage, res: ServerResponse) => void
  }
}
