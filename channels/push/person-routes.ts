import { Router } from '@koa/router'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import { z } from 'zod'
import { problemsFromZod, ValidationFailed } from '../../engine/problems.js'
import type { SignedInPerson } from '../../plugins/plugin.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { endpointProblem, type EndpointPolicy } from './endpoint-policy.js'
import { deviceId, type Device, type SubscriptionStore } from './subscriptions.js'

/**
 * A signed-in person's devices, under `/ui/api/push/` (the dashboard's session and CSRF gate
 * is in front). Responses never include endpoints or keys: the endpoint is a capability for
 * pushing to the device, the keys decrypt what is pushed.
 */
export interface PersonRouteDeps {
  store: SubscriptionStore
  publicKey: string
  policy: EndpointPolicy
  logger: Logger
}

// P-256 public key (65 bytes uncompressed) and 16-byte auth secret, base64url.
const subscription = z.object({
  endpoint: z.string().min(1).max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({ p256dh: z.string().regex(/^[A-Za-z0-9_-]{86,88}={0,2}$/, 'a P-256 public key'), auth: z.string().regex(/^[A-Za-z0-9_-]{22,24}={0,2}$/, 'a 16-byte secret') }),
})
const removal = z.union([z.object({ endpoint: z.string().min(1).max(2048) }), z.object({ id: z.string().min(1).max(64) })])

const BODY_LIMIT = 8 * 1024

function parse<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const result = schema.safeParse(value)
  if (!result.success) throw new ValidationFailed(problemsFromZod(result.error))
  return result.data
}

/** A name the person recognises in the list ("Chrome on Android"), from the user agent. */
function labelFor(userAgent: string): string {
  const browser = /Edg\//.test(userAgent) ? 'Edge' : /Firefox\//.test(userAgent) ? 'Firefox' : /Chrome\//.test(userAgent) ? 'Chrome' : /Safari\//.test(userAgent) ? 'Safari' : 'Browser'
  const os = /iPhone|iPad/.test(userAgent) ? 'iOS' : /Android/.test(userAgent) ? 'Android' : /Mac OS X/.test(userAgent) ? 'macOS' : /Windows/.test(userAgent) ? 'Windows' : /Linux/.test(userAgent) ? 'Linux' : 'another system'
  return `${browser} on ${os}`
}

const shown = (d: Device) => ({ id: d.id, label: d.label, createdAt: d.createdAt })

export function pushPersonRoutes(deps: PersonRouteDeps): Middleware {
  const log = deps.logger.child({ component: 'push-devices' })
  const router = new Router({ prefix: '/ui/api/push' })
  const who = (state: unknown) => (state as { person: SignedInPerson }).person.person

  router.get('/key', (ctx) => {
    ctx.body = { publicKey: deps.publicKey }
  })

  router.get('/subscriptions', async (ctx) => {
    ctx.body = { devices: (await deps.store.list(who(ctx.state).id)).map(shown) }
  })

  router.post('/subscriptions', async (ctx) => {
    const sub = parse(subscription, await readJson(ctx, BODY_LIMIT))
    const problemText = endpointProblem(sub.endpoint, deps.policy)
    if (problemText) throw new ValidationFailed([{ path: '/endpoint', message: problemText }])
    const person = who(ctx.state)
    const device = await deps.store.add(person.id, { endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth }, label: labelFor(ctx.get('user-agent')) })
    log.info({ personId: person.id, device: device.id }, 'push device added')
    ctx.status = 201
    ctx.body = { device: shown(device) }
  })

  router.delete('/subscriptions', async (ctx) => {
    const which = parse(removal, await readJson(ctx, BODY_LIMIT))
    const id = 'endpoint' in which ? deviceId(which.endpoint) : which.id
    const person = who(ctx.state)
    if (!(await deps.store.remove(person.id, id))) throw problem(404, 'not-found', 'No such device')
    log.info({ personId: person.id, device: id }, 'push device removed')
    ctx.status = 204
  })

  const routes = router.routes() as Middleware
  const allowed = router.allowedMethods() as Middleware
  return async (ctx, next) => {
    await routes(ctx, async () => {
      await allowed(ctx, next)
    })
  }
}
