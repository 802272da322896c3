import { Router } from '@koa/router'
import { z } from 'zod'
import type { Directory } from '../../engine/directory.js'
import { problemsFromZod, ValidationFailed } from '../../engine/problems.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { publicPerson } from './auth-routes.js'
import { parse, UI_BODY_LIMIT, type DashDeps } from './deps.js'

const optionalText = z
  .string()
  .trim()
  .max(320)
  .optional()
  .transform((v) => (v === '' ? undefined : v))
/** The People form: core fields plus each registered channel's handle field. */
function personBodyFor(directory: Directory) {
  // Core fields a channel reads (email, id) are not handles the form may set.
  const handles = Object.fromEntries(directory.rules.filter((r) => r.field !== 'email' && r.field !== 'id').map((r) => [r.field, optionalText]))
  return z
    .object({
      name: z.string().trim().min(1, 'is required').max(200),
      email: optionalText,
      ...handles,
      groups: z.array(z.string().trim()).max(50).default([]),
      role: z.enum(['operator', 'reviewer']).default('reviewer'),
    })
    .strict()
}
type PersonBody = z.output<ReturnType<typeof personBodyFor>>

/** Operators manage people: reviewers (and other operators) and their channel handles. */
export function peopleRoutes(deps: DashDeps): Router {
  const { auth, directory, accounts } = deps
  const router = new Router({ prefix: '/ui/api/people' })
  const personBody = personBodyFor(directory)

  const withStatus = async () =>
    Promise.all((await directory.list()).map(async (p) => ({ ...publicPerson(p, directory), hasPassword: await accounts.hasPassword(p.id) })))

  // The handle fields the People form asks for, from the registered channel plugins.
  router.get('/channels', async (ctx) => {
    await auth.requirePerson(ctx)
    ctx.body = { channels: deps.channels.describe() }
  })

  router.get('/', async (ctx) => {
    await auth.requireOperator(ctx)
    ctx.set('cache-control', 'no-store')
    ctx.body = { people: await withStatus() }
  })

  async function save(id: string, body: PersonBody) {
    const candidate = directory.personSchema.safeParse({ id, ...body, groups: body.groups.filter(Boolean) })
    if (!candidate.success) throw new ValidationFailed(problemsFromZod(candidate.error))
    // A handle that identifies someone may belong to one person only.
    for (const rule of directory.rules.filter((r) => r.lookup)) {
      const value = candidate.data[rule.field]
      const owner = typeof value === 'string' ? await directory.findBy(rule.channel, value) : null
      if (owner && owner.id !== id) throw new ValidationFailed([{ path: `/${rule.field}`, message: `already belongs to ${owner.name}` }])
    }
    const email = candidate.data.email
    const owner = email ? await directory.findBy('email', email) : null
    if (owner && owner.id !== id) throw new ValidationFailed([{ path: '/email', message: `already belongs to ${owner.name}` }])
    return directory.upsert(candidate.data)
  }

  router.post('/', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireOperator(ctx)
    const body = parse(personBody, await readJson(ctx, UI_BODY_LIMIT))
    const person = await save(await accounts.freeId(body), body)
    const token = await accounts.mintInvite(person.id)
    deps.logger.info({ personId: person.id, by: viewer.actor.actor }, 'dashboard person added')
    ctx.status = 201
    // The invite link is shown once to the operator, who passes it on; it is never logged.
    ctx.body = { person: publicPerson(person, directory), inviteUrl: `${deps.publicUrl}/setup/${token}` }
  })

  router.put('/:id', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireOperator(ctx)
    const id = String(ctx.params.id)
    const existing = await directory.get(id)
    if (!existing) throw problem(404, 'not-found', 'No such person')
    const body = parse(personBody, await readJson(ctx, UI_BODY_LIMIT))
    if (id === viewer.actor.actor && body.role !== 'operator') throw new ValidationFailed([{ path: '/role', message: 'you cannot remove your own operator role' }])
    ctx.body = { person: publicPerson(await save(id, body), directory) }
  })

  router.post('/:id/invite', async (ctx) => {
    await auth.checkWrite(ctx)
    await auth.requireOperator(ctx)
    const person = await directory.get(String(ctx.params.id))
    if (!person) throw problem(404, 'not-found', 'No such person')
    ctx.body = { inviteUrl: `${deps.publicUrl}/setup/${await accounts.mintInvite(person.id)}` }
  })

  router.delete('/:id', async (ctx) => {
    await auth.checkWrite(ctx)
    const viewer = await auth.requireOperator(ctx)
    const id = String(ctx.params.id)
    if (id === viewer.actor.actor) throw problem(409, 'self', 'Cannot remove yourself', 'Ask another operator to remove your account.')
    await directory.remove(id)
    await accounts.removePassword(id)
    await deps.sessions.destroyAllFor(id)
    ctx.status = 204
  })

  return router
}
