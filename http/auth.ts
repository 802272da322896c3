import { sha256Bytes } from '../engine/sha256.js'
import { timingSafeEqual } from 'node:crypto'
import type { Middleware } from 'koa'
import { problem } from '../plugins/web/problem.js'
import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'

export interface ApiToken {
  name: string
  token: string
}

export interface AgentState {
  /** The token's name, recorded in the audit as who created or acted. */
  principal: string
  /** The `:id` checkpoint as the token-scope guard loaded it (scoped tokens only), for the handler to reuse. */
  checkpoint?: LoadedCheckpoint
}

/** Bearer-token check for `/v1`. Compares digests in constant time so length leaks nothing. */
export function requireAgentToken(tokens: readonly ApiToken[]): Middleware<AgentState> {
  const known = tokens.map((t) => ({ name: t.name, digest: sha256Bytes(t.token) }))
  return async (ctx, next) => {
    const header = ctx.get('authorization')
    const match = /^Bearer\s+(.+)$/i.exec(header)
    const presented = match?.[1] ? sha256Bytes(match[1].trim()) : null
    const hit = presented ? known.find((k) => timingSafeEqual(k.digest, presented)) : undefined
    if (!hit) {
      ctx.set('www-authenticate', 'Bearer realm="holdpoint"')
      throw problem(401, 'unauthorized', 'Unauthorized', 'Send Authorization: Bearer <token> with a token from HOLDPOINT_API_TOKENS.')
    }
    ctx.state.principal = hit.name
    await next()
  }
}
