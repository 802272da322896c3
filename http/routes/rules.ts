import { Router } from '@koa/router'
import type { Context } from 'koa'
import type { StandingRules, RuleEngine } from '../../engine/rules/standing-rules.js'
import { problem } from '../../plugins/web/problem.js'
import type { AgentState } from '../auth.js'

export interface RuleRoutesDeps {
  engine: RuleEngine
  rules: StandingRules
  /** HOLDPOINT_OPERATOR_TOKENS: when any are named, only they may see and revoke rules. */
  operatorTokens: ReadonlySet<string>
}

/**
 * Standing rules on the agent API: `GET /v1/rules` (policies read-only, as the file says;
 * remembered decisions in force) and `DELETE /v1/rules/remembered/:id`.
 */
export function ruleRoutes(deps: RuleRoutesDeps): Router<AgentState> {
  const router = new Router<AgentState>({ prefix: '/v1/rules' })
  const operatorOnly = (ctx: Context) => {
    const principal = String(ctx.state.principal)
    if (deps.operatorTokens.size > 0 && !deps.operatorTokens.has(principal)) {
      throw problem(403, 'forbidden', 'Operators only', 'Standing rules are listed and revoked with an operator token (HOLDPOINT_OPERATOR_TOKENS).')
    }
    return principal
  }

  router.get('/', async (ctx) => {
    operatorOnly(ctx)
    ctx.set('cache-control', 'no-store')
    ctx.body = await deps.rules.view(deps.engine.now())
  })

  router.delete('/remembered/:id', async (ctx) => {
    const principal = operatorOnly(ctx)
    const id = String((ctx.params as Record<string, string | undefined>).id ?? '')
    const revoked = await deps.rules.revoke(deps.engine, id, { channel: 'api', actor: principal })
    if (!revoked) throw problem(404, 'not-found', 'No such remembered decision', 'It was revoked already, has expired, or never existed.')
    ctx.status = 204
  })

  return router
}
