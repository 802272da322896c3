import type { Context, Middleware } from 'koa'
import type { Logger } from 'pino'
import { z } from 'zod'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import type { Keyring } from '../../engine/keyring.js'
import { isTerminal } from '../../machine/types.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { oneClickChoices } from '../common/answer-choices.js'
import { openActToken, type ActUses } from './act-token.js'
import { pushActor } from './person.js'
import type { SubscriptionStore } from './subscriptions.js'

/**
 * `POST /push/act`: a button on a lock-screen notification, posted by the service worker.
 * The token is the capability (signed, bound to checkpoint, person and device, single use);
 * the answer goes through Engine.answer like every other, so routing, validation and the
 * audit are the same as on the dashboard. The token is never logged.
 */
export interface ActRouteDeps {
  engine: Engine
  directory: Directory
  keyring: Keyring
  store: SubscriptionStore
  uses: ActUses
  logger: Logger
}

const body = z.object({ token: z.string().min(1).max(2048), action: z.string().regex(/^a\d$/) }).strict()
const BODY_LIMIT = 4 * 1024

export function pushActRoute(deps: ActRouteDeps): Middleware {
  const log = deps.logger.child({ component: 'push-act' })

  function fromThisSite(ctx: Context): void {
    // The service worker's fetch is same-origin; a page elsewhere cannot know a token, but says so anyway.
    const site = ctx.get('sec-fetch-site')
    if (site && site !== 'same-origin' && site !== 'none') throw problem(403, 'cross-site', 'Cross-site request refused')
  }

  async function act(ctx: Context): Promise<void> {
    fromThisSite(ctx)
    const parsed = body.safeParse(await readJson(ctx, BODY_LIMIT))
    if (!parsed.success) throw problem(400, 'bad-request', 'Expected { token, action }')
    const opened = openActToken(deps.keyring, parsed.data.token)
    if (!opened.ok) throw problem(403, 'bad-token', opened.reason === 'expired' ? 'This notification has expired' : 'This notification cannot answer')
    const claims = opened.claims
    const person = await deps.directory.get(claims.p)
    // A removed person, or a device they removed, can no longer answer from the lock screen.
    if (!person || !(await deps.store.list(person.id)).some((d) => d.id === claims.d)) throw problem(403, 'bad-token', 'This device can no longer answer')
    const cp = await deps.engine.get(claims.cp)
    if (!cp) throw problem(404, 'not-found', 'No such checkpoint')
    if (isTerminal(cp.state)) throw problem(409, 'finished', 'Already finished', undefined, { state: cp.state })
    const choice = oneClickChoices(cp.request.responseSchema)?.[Number(parsed.data.action.slice(1))]
    if (!choice) throw problem(422, 'unknown-action', 'This notification offers no such answer')
    if (!(await deps.uses.burn(claims))) throw problem(409, 'used', 'This notification was already used')
    const outcome = await deps.engine.answer({ id: cp.id, by: await pushActor(deps.directory, person), response: choice.response, via: 'push', data: { device: claims.d }, loaded: cp })
    // Anything but a recorded answer leaves the notification its one use.
    if (outcome.status !== 'recorded') await deps.uses.restore(claims)
    switch (outcome.status) {
      case 'recorded':
        log.info({ checkpointId: cp.id, personId: person.id, device: claims.d }, 'answered from a notification')
        ctx.body = { status: 'recorded', state: outcome.checkpoint.state, answer: choice.label }
        return
      case 'finished':
        throw problem(409, 'finished', 'Already finished', undefined, { state: outcome.checkpoint.state })
      case 'refused':
        if (outcome.refusal.code === 'not_assigned') throw problem(403, 'not-assigned', 'Not assigned to you')
        throw problem(409, outcome.refusal.code.replaceAll('_', '-'), 'Cannot answer now')
      case 'invalid':
        throw problem(422, 'invalid', 'The answer does not fit the request')
      case 'not_found':
        throw problem(404, 'not-found', 'No such checkpoint')
      case 'busy':
        throw problem(503, 'busy', 'Busy, try again')
    }
  }

  return async (ctx, next) => {
    if (ctx.path !== '/push/act') {
      await next()
      return
    }
    ctx.set('cache-control', 'no-store')
    if (ctx.method !== 'POST') {
      ctx.set('Allow', 'POST')
      ctx.status = 405
      return
    }
    await act(ctx)
  }
}
