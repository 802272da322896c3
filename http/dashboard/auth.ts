import type { Context } from 'koa'
import type { Directory } from '../../engine/directory.js'
import { problem } from '../../plugins/web/problem.js'
import { SESSION_TTL_SECONDS, type SessionData, type SessionStore } from './sessions.js'
import { grantViewer, personViewer, type Viewer } from './viewer.js'

export const SESSION_COOKIE = 'hp_session'
export const CSRF_HEADER = 'x-csrf-token'

/**
 * Cookie sessions and the checks every state-changing dashboard request passes:
 * same-origin (Origin / Sec-Fetch-Site), and a CSRF token bound to the session, sent in a
 * header (which a cross-site form can never set).
 */
export class DashboardAuth {
  private readonly secureCookies: boolean
  private readonly publicOrigin: string

  constructor(
    private readonly sessions: SessionStore,
    private readonly directory: Directory,
    publicUrl: string,
  ) {
    const url = new URL(publicUrl)
    this.secureCookies = url.protocol === 'https:'
    this.publicOrigin = url.origin
  }

  async viewer(ctx: Context): Promise<Viewer | null> {
    const cached = (ctx.state as { viewer?: Viewer | null }).viewer
    if (cached !== undefined) return cached
    const found = await this.load(ctx)
    ;(ctx.state as { viewer?: Viewer | null }).viewer = found
    return found
  }

  private async load(ctx: Context): Promise<Viewer | null> {
    const id = ctx.cookies.get(SESSION_COOKIE)
    if (!id || id.length > 100) return null
    const session = await this.sessions.get(id)
    return session ? this.fromSession(session, id) : null
  }

  private async fromSession(session: SessionData, id: string): Promise<Viewer | null> {
    if (session.kind === 'grant') {
      const actor = await this.directory.actorFor(session.channel, session.handle)
      return grantViewer(actor, session.checkpointId, session, id)
    }
    const person = await this.directory.get(session.personId)
    // A person removed from the directory is signed out everywhere at once.
    if (!person) return null
    // With the identities lent by anyone they cover for while that person is away.
    const acting = await this.directory.acting(person)
    return personViewer(person, acting.identities, session, id, acting.covering)
  }

  async requireViewer(ctx: Context): Promise<Viewer> {
    const viewer = await this.viewer(ctx)
    if (!viewer) throw problem(401, 'unauthorized', 'Sign in first', 'Your session has ended or you are not signed in.')
    return viewer
  }

  async requirePerson(ctx: Context): Promise<Viewer & { kind: 'person' }> {
    const viewer = await this.requireViewer(ctx)
    if (viewer.kind !== 'person') throw problem(403, 'forbidden', 'Not allowed', 'This link only opens one checkpoint. Sign in for the rest of the dashboard.')
    return viewer as Viewer & { kind: 'person' }
  }

  async requireOperator(ctx: Context): Promise<Viewer & { kind: 'person' }> {
    const viewer = await this.requirePerson(ctx)
    if (!viewer.operator) throw problem(403, 'forbidden', 'Operators only', 'Only operators may do this.')
    return viewer
  }

  async startSession(ctx: Context, data: Parameters<SessionStore['create']>[0], ttlSeconds = SESSION_TTL_SECONDS): Promise<SessionData> {
    const { id, session } = await this.sessions.create(data, ttlSeconds)
    ctx.cookies.set(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'lax', secure: this.secureCookies, path: '/', maxAge: ttlSeconds * 1000, overwrite: true })
    // The request still carries the old cookie; later reads in this request see the new session.
    ;(ctx.state as { viewer?: Viewer | null }).viewer = await this.fromSession(session, id)
    return session
  }

  async endSession(ctx: Context): Promise<void> {
    const id = ctx.cookies.get(SESSION_COOKIE)
    if (id) await this.sessions.destroy(id)
    this.clearCookie(ctx)
    ;(ctx.state as { viewer?: Viewer | null }).viewer = null
  }

  clearCookie(ctx: Context): void {
    ctx.cookies.set(SESSION_COOKIE, '', { httpOnly: true, sameSite: 'lax', secure: this.secureCookies, path: '/', maxAge: 0, overwrite: true })
  }

  /**
   * Refuses cross-site and token-less writes. Before sign-in there is no session token, so
   * the header only has to be present: browsers never let another site add it without a
   * CORS preflight, which this server does not grant.
   */
  async checkWrite(ctx: Context): Promise<void> {
    const site = ctx.get('sec-fetch-site')
    const origin = ctx.get('origin')
    const ownOrigin = `${ctx.protocol}://${ctx.host}`
    if ((site && site !== 'same-origin' && site !== 'none') || (origin && origin !== ownOrigin && origin !== this.publicOrigin)) {
      throw problem(403, 'cross-site', 'Cross-site request refused', 'Requests that change something must come from the dashboard itself.')
    }
    const token = ctx.get(CSRF_HEADER)
    const viewer = await this.viewer(ctx)
    if (!token || (viewer && token !== viewer.session.csrf)) {
      throw problem(403, 'csrf', 'Missing or stale form token', 'Reload the page and try again.')
    }
  }
}
