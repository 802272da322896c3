import { createHash } from 'node:crypto'

/** The dashboard's own Redis keys, all under `${prefix}:dash:`. Secrets are stored as hashes. */
export class DashKeys {
  constructor(private readonly prefix: string) {}

  private get base(): string {
    return `${this.prefix}:dash`
  }
  password(personId: string): string {
    return `${this.base}:pw:${personId}`
  }
  session(sessionId: string): string {
    return this.sessionByDigest(digest(sessionId))
  }
  sessionByDigest(sessionDigest: string): string {
    return `${this.base}:session:${sessionDigest}`
  }
  /** Set of session key digests of one person, so password changes can end them all. */
  sessionsOf(personId: string): string {
    return `${this.base}:sessions:${personId}`
  }
  invite(token: string): string {
    return `${this.base}:invite:${digest(token)}`
  }
  /** Set once, when the first operator is created through a first-run link. */
  get firstRun(): string {
    return `${this.base}:first-run`
  }
  /** A single sign-on attempt in progress (state, nonce, PKCE verifier), by its cookie id. */
  oidcFlow(flowId: string): string {
    return `${this.base}:oidc-flow:${digest(flowId)}`
  }
  loginFailures(scope: string): string {
    return `${this.base}:login-fail:${digest(scope)}`
  }
  viewed(checkpointId: string, personId: string): string {
    return `${this.base}:viewed:{${checkpointId}}:${personId}`
  }
}

/** Tokens and session ids are never stored as such: a Redis dump must not log anyone in. */
export function digest(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url')
}
