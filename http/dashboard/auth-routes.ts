import { Router } from '@koa/router'
import { z } from 'zod'
import type { Directory, Person } from '../../engine/directory.js'
import { ValidationFailed } from '../../engine/problems.js'
import { problem } from '../../plugins/web/problem.js'
import { readJson } from '../../plugins/web/read-json.js'
import { parse, UI_BODY_LIMIT, type DashDeps } from './deps.js'
import { MIN_PASSWORD_LENGTH } from './passwords.js'
import type { Viewer } from './viewer.js'

const password = z.string().min(MIN_PASSWORD_LENGTH, `must be at least ${MIN_PASSWORD_LENGTH} characters`).max(200)
const loginBody = z.object({ login: z.string().trim().min(1, 'is required').max(320), password: z.string().min(1, 'is required').max(200) }).strict()
const setupBody = z
  .object({
    token: z.string().min(1).max(200),
    name: z.string().trim().min(1, 'is required').max(200).optional(),
    email: z.email().optional(),
    password,
  })
  .strict()
const passwordBody = z.object({ current: z.string().min(1, 'is required').max(200), next: password }).strict()

/** A person as the dashboard shows them: core fields and every registered channel's handle (null when unset). */
export function publicPerson(p: Person, directory: Directory) {
  const handles = Object.fromEntries(directory.rules.map((r) => [r.field, typeof p[r.field] === 'string' ? p[r.field] : null]))
  // Every recipient string that reaches them, whichever channels this server runs.
  const routes = [...directory.reachableAt(p, new Set(directory.rules.map((r) => r.channel))), ...p.groups.map((g) => `group:${g}`)]
  return { ...handles, id: p.id, name: p.name, role: p.role, email: p.email ?? null, groups: p.groups, routes }
}

export function sessionBody(viewer: Viewer | null, directory: Directory) {
  if (!viewer) return { signedIn: false as const }
  return {
    signedIn: true as const,
    kind: viewer.kind,
    csrf: viewer.session.csrf,
    person: viewer.person ? publicPerson(viewer.person, directory) : null,
    actor: { channel: viewer.actor.channel, actor: viewer.actor.actor, name: viewer.actor.name ?? null },
    onlyCheckpoint: viewer.onlyCheckpoint,
  }
}

/** Sign-in, first-run setup, invites, sign-out and password change. */
export function authRoutes(deps: DashDeps): Router {
  const { auth, accounts, limiter, directory } = deps
  const router = new Router({ prefix: '/ui/api' })
  // With single sign-on only, every route that takes or sets a password is closed.
  const requirePasswords = () => {
    if (!deps.signIn.password) throw problem(403, 'password-login-off', 'Password sign-in is off', 'This Holdpoint signs people in with single sign-on only.')
  }

  router.get('/login-options', (ctx) => {
    ctx.body = { password: deps.signIn.password, sso: deps.signIn.sso }
  })

  router.get('/session', async (ctx) => {
    ctx.set('cache-control', 'no-store')
    ctx.body = sessionBody(await auth.viewer(ctx), directory)
  })

  router.get('/setup/:token', async (ctx) => {
    const invite = await accounts.peekInvite(String(ctx.params.token))
    if (!invite) throw problem(404, 'invite-used', 'Link used or expired', 'This setup link was already used or has expired. Ask an operator for a new one.')
    if (invite.kind === 'first-operator') {
      ctx.body = { kind: invite.kind, person: null }
      return
    }
    const person = await directory.get(invite.personId)
    if (!person) throw problem(404, 'invite-used', 'Link used or expired', 'The account this link was for no longer exists.')
    ctx.body = { kind: invite.kind, person: publicPerson(person, deps.directory) }
  })

  router.post('/setup', async (ctx) => {
    requirePasswords()
    await auth.checkWrite(ctx)
    const body = parse(setupBody, await readJson(ctx, UI_BODY_LIMIT))
    const peek = await accounts.peekInvite(body.token)
    if (!peek) throw problem(404, 'invite-used', 'Link used or expired', 'This setup link was already used or has expired.')
    if (peek.kind === 'first-operator') {
      const problems = [...(body.name ? [] : [{ path: '/name', message: 'is required' }]), ...(body.email ? [] : [{ path: '/email', message: 'is required' }])]
      if (problems.length) throw new ValidationFailed(problems)
    }
    const invite = await accounts.takeInvite(body.token)
    if (!invite) throw problem(404, 'invite-used', 'Link used or expired', 'This setup link was already used or has expired.')
    let person: Person | null
    if (invite.kind === 'first-operator') {
      if ((await accounts.operatorExists()) || !(await accounts.claimFirstRun())) throw problem(409, 'operator-exists', 'Already set up', 'An operator already exists; sign in instead.')
      const input = { name: body.name!, email: body.email!, role: 'operator' as const }
      person = await directory.upsert(directory.personSchema.parse({ ...input, id: await accounts.freeId(input) }))
    } else {
      person = await directory.get(invite.personId)
      if (!person) throw problem(404, 'invite-used', 'Link used or expired', 'The account this link was for no longer exists.')
    }
    await accounts.setPassword(person.id, body.password)
    await deps.sessions.destroyAllFor(person.id)
    await auth.startSession(ctx, { kind: 'person', personId: person.id })
    deps.logger.info({ personId: person.id, role: person.role }, 'dashboard account set up')
    ctx.body = sessionBody(await auth.viewer(ctx), directory)
  })

  router.post('/login', async (ctx) => {
    requirePasswords()
    await auth.checkWrite(ctx)
    const body = parse(loginBody, await readJson(ctx, UI_BODY_LIMIT))
    const address = ctx.ip
    // Throttled before the (slow) password check and counted in the same atomic step, keyed
    // on the account the name resolves to, so concurrent guesses cannot all get through.
    const person = await accounts.findLogin(body.login)
    const account = person ? `person:${person.id}` : `name:${body.login.trim().toLowerCase()}`
    const wait = await limiter.attempt(address, account)
    if (wait > 0) {
      ctx.set('retry-after', String(wait))
      throw problem(429, 'too-many-attempts', 'Too many attempts', `Too many failed sign-ins. Try again in ${wait < 60 ? `${wait} s` : `${Math.ceil(wait / 60)} minute(s)`}.`)
    }
    if (!(await accounts.passwordMatches(person, body.password)) || !person) {
      throw problem(401, 'bad-credentials', 'Wrong email or password', 'That email (or username) and password do not match an account.')
    }
    await limiter.succeeded(address, account)
    await auth.startSession(ctx, { kind: 'person', personId: person.id })
    ctx.body = sessionBody(await auth.viewer(ctx), directory)
  })

  router.post('/logout', async (ctx) => {
    await auth.checkWrite(ctx)
    await auth.endSession(ctx)
    ctx.body = { signedIn: false }
  })

  router.post('/password', async (ctx) => {
    requirePasswords()
    await auth.checkWrite(ctx)
    const viewer = await auth.requirePerson(ctx)
    const body = parse(passwordBody, await readJson(ctx, UI_BODY_LIMIT))
    if (!(await accounts.checkPassword(viewer.actor.actor, body.current))) {
      throw new ValidationFailed([{ path: '/current', message: 'is not your current password' }])
    }
    await accounts.setPassword(viewer.actor.actor, body.next)
    // Every other browser signed in as this person is signed out; this one gets a fresh session.
    await deps.sessions.destroyAllFor(viewer.actor.actor)
    await auth.startSession(ctx, { kind: 'person', personId: viewer.actor.actor })
    ctx.body = sessionBody(await auth.viewer(ctx), directory)
  })

  return router
}
