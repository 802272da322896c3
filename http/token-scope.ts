import type { RouterParameterMiddleware } from '@koa/router'
import type { Engine } from '../engine/engine.js'
import { CheckpointNotFound } from '../engine/errors.js'
import { CHECKPOINT_ID_PATTERN } from '../engine/ids.js'
import type { AgentState } from './auth.js'

/**
 * Which checkpoints an agent token may see (HOLDPOINT_TOKEN_SCOPE). With `own`, a token
 * sees and acts only on checkpoints it created, so one agent (prompt-injected or simply
 * another team's) cannot read another's payloads, answer for it or cancel its checkpoints;
 * operator tokens (HOLDPOINT_OPERATOR_TOKENS) still see everything.
 */
export interface TokenScope {
  mode: 'all' | 'own'
  /** Token names (from HOLDPOINT_API_TOKENS) exempt from `own`. */
  operators: ReadonlySet<string>
}

export const SEE_ALL: TokenScope = { mode: 'all', operators: new Set() }

export function seesEverything(scope: TokenScope, principal: string): boolean {
  return scope.mode === 'all' || scope.operators.has(principal)
}

export function visibleTo(scope: TokenScope, principal: string, checkpoint: { request: { createdBy: string } }): boolean {
  return seesEverything(scope, principal) || checkpoint.request.createdBy === principal
}

/**
 * A router `param('id')` guard: another token's checkpoint answers 404 exactly like an
 * unknown id, so a scoped token cannot even learn that it exists. An unknown id passes
 * through to the handler, which answers its own 404.
 */
export function ownCheckpointsOnly(scope: TokenScope, engine: Pick<Engine, 'get'>): RouterParameterMiddleware<AgentState> {
  return async (id, ctx, next) => {
    const principal = String(ctx.state.principal)
    if (!seesEverything(scope, principal) && CHECKPOINT_ID_PATTERN.test(id)) {
      const checkpoint = await engine.get(id)
      if (checkpoint && !visibleTo(scope, principal, checkpoint)) throw new CheckpointNotFound(id)
      if (checkpoint) ctx.state.checkpoint = checkpoint
    }
    await next()
  }
}
