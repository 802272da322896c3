import type { Context, Middleware } from 'koa'
import type { Logger } from 'pino'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import { toView, type CheckpointView } from '../../engine/checkpoint-view.js'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import type { Keyring } from '../../engine/keyring.js'
import { mayAct } from '../../machine/identity.js'
import { isTerminal } from '../../machine/types.js'
import { oneClickChoices, type AnswerChoice } from '../common/answer-choices.js'
import type { ProposalStore } from '../common/proposals.js'
import { batchLinks } from './batch-link.js'
import { emailActor } from './email-actor.js'
import { pages, type Page } from './link-pages.js'
import { openMagicLink, type LinkUses, type MagicLinkClaims } from './magic-link.js'
import { answerSummary, proposalAuthor } from './reply-mail.js'

/**
 * `GET /m/:token` shows a page and never acts: mail scanners and link previews fetch links
 * on their own. Only `POST /m/:token`, sent by that page's button, answers. The token is the
 * capability (a cross-site attacker cannot know it), and a browser's `Sec-Fetch-Site` /
 * `Origin` must say the POST came from this site. The path holds the token, so nothing here
 * logs the path, and every page is sent with `Referrer-Policy: no-referrer`.
 */
export interface LinkRouteDeps {
  engine: Engine
  directory: Directory
  keyring: Keyring
  uses: LinkUses
  publicUrl: string
  logger: Logger
  /** Answers read from email replies, waiting for their confirm link (when replies are read). */
  proposals?: ProposalStore | null
}

const PATH = /^\/m\/([A-Za-z0-9_.-]+)\/?$/

const SECURITY_HEADERS: Record<string, string> = {
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'X-Robots-Tag': 'noindex, nofollow',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
}

type OpenedClaims = MagicLinkClaims & { exp: number }

interface Opened {
  claims: OpenedClaims
  /** The load the page was built from; the answer reuses it. */
  loaded: LoadedCheckpoint
  cp: CheckpointView
  mayAnswer: boolean
  choice: AnswerChoice | null
}

export function magicLinkRoutes(deps: LinkRouteDeps): Middleware {
  const log = deps.logger.child({ component: 'email-links' })
  const publicOrigin = new URL(deps.publicUrl).origin
  const batch = batchLinks(deps)

  /** The claims of a batch mail's "Approve all" link, which names no single checkpoint. */
  function approveAllClaims(token: string): (OpenedClaims & { b: string }) | null {
    const opened = openMagicLink(deps.keyring, token)
    return opened.ok && opened.claims.a === 'b' && opened.claims.b !== undefined ? { ...opened.claims, b: opened.claims.b } : null
  }

  /** Resolves a token to its checkpoint, or to the page that explains why it cannot be used. */
  async function open(token: string): Promise<Opened | Page> {
    const opened = openMagicLink(deps.keyring, token)
    if (!opened.ok) return opened.reason === 'expired' ? pages.expired() : pages.invalid()
    const claims = opened.claims
    const loaded = await deps.engine.get(claims.cp)
    if (!loaded) return pages.notFound()
    const cp = toView(loaded, deps.publicUrl)
    const actor = await emailActor(deps.directory, claims.to, cp.assignTo)
    const choice = claims.a === 'p' ? await proposed(claims, cp.id) : typeof claims.a === 'number' ? (oneClickChoices(cp.responseSchema)?.[claims.a] ?? null) : null
    return { claims, loaded, cp, mayAnswer: mayAct({ assignTo: cp.assignTo }, actor), choice }
  }

  /** The answer read from this recipient's reply; only they may confirm it. */
  async function proposed(claims: OpenedClaims, checkpointId: string): Promise<AnswerChoice | null> {
    const proposal = claims.p === undefined || !deps.proposals ? null : await deps.proposals.get(claims.p)
    if (!proposal || proposal.checkpointId !== checkpointId || proposal.author !== proposalAuthor(claims.to)) return null
    return { label: answerSummary(proposal.answer), response: proposal.answer }
  }

  async function noteOpened(o: Opened): Promise<void> {
    if (!(await deps.uses.firstOpen(o.claims, secondsLeft(o.claims)))) return
    await deps.engine.note(o.cp.id, { kind: 'link.opened', actor: { channel: 'email', actor: o.claims.to }, data: { page: o.claims.a === 'v' ? 'view' : o.claims.a === 'p' ? 'confirm-reply' : 'confirm' } }, o.loaded)
  }

  async function show(token: string): Promise<Page> {
    const all = approveAllClaims(token)
    if (all) return batch.show(all)
    const o = await open(token)
    if ('status' in o) return o
    if (o.claims.a === 'v') {
      await noteOpened(o)
      return pages.view(o.cp, o.mayAnswer)
    }
    if (await deps.uses.used(o.claims)) return pages.linkUsed(o.cp)
    if (isTerminal(o.cp.state)) return pages.alreadyAnswered(o.cp)
    if (!o.choice) return pages.unknownChoice()
    if (!o.mayAnswer) return pages.notAssigned(o.cp)
    await noteOpened(o)
    return pages.confirm(o.cp, o.choice.label)
  }

  function fromThisSite(ctx: Context): boolean {
    const site = ctx.get('sec-fetch-site')
    if (site && site !== 'same-origin' && site !== 'none') return false
    const origin = ctx.get('origin')
    // `no-referrer` makes browsers send `Origin: null` on form posts; Sec-Fetch-Site covers those.
    return !origin || origin === 'null' || origin === publicOrigin || origin === `${ctx.protocol}://${ctx.host}`
  }

  async function act(ctx: Context, token: string): Promise<Page> {
    if (!fromThisSite(ctx)) return pages.crossSite()
    const all = approveAllClaims(token)
    if (all) return batch.act(all, secondsLeft(all))
    const o = await open(token)
    if ('status' in o) return o
    if (o.claims.a === 'v') return pages.notAnAction()
    if (await deps.uses.used(o.claims)) return pages.linkUsed(o.cp)
    if (isTerminal(o.cp.state)) return pages.alreadyAnswered(o.cp)
    if (!o.choice) return pages.unknownChoice()
    const { claims, choice } = o
    if (!(await deps.uses.burn(claims, secondsLeft(claims)))) return pages.linkUsed(o.cp)
    const actor = await emailActor(deps.directory, claims.to, o.cp.assignTo)
    // A confirmed reading of a reply is still the reply's answer; the audit says which mail it was.
    const fromReply = claims.a === 'p'
    const outcome = await deps.engine.answer({
      id: o.cp.id,
      by: actor,
      response: choice.response,
      via: fromReply ? 'email-reply' : 'email-link',
      ...(fromReply && { data: { confirmedBy: 'link', ...(claims.m !== undefined && { messageId: claims.m }) } }),
      loaded: o.loaded,
    })
    // Anything but a recorded answer leaves the link its one use.
    if (outcome.status !== 'recorded') await deps.uses.restore(claims)
    switch (outcome.status) {
      case 'recorded':
        return pages.recorded(toView(outcome.checkpoint, deps.publicUrl), choice.label)
      case 'invalid':
        return pages.invalidAnswer()
      case 'busy':
        return pages.busy()
      case 'not_found':
        return pages.notFound()
      case 'finished':
        return pages.alreadyAnswered(toView(outcome.checkpoint, deps.publicUrl))
      case 'refused': {
        const cp = toView(outcome.checkpoint, deps.publicUrl)
        if (outcome.refusal.code === 'not_assigned') return pages.notAssigned(cp)
        if (outcome.refusal.code === 'claimed_by_other') return pages.claimedByOther(cp)
        return pages.alreadyAnswered(cp)
      }
    }
  }

  return async (ctx, next) => {
    const match = PATH.exec(ctx.path)
    if (!match) {
      await next()
      return
    }
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) ctx.set(name, value)
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD' && ctx.method !== 'POST') {
      ctx.set('Allow', 'GET, HEAD, POST')
      ctx.status = 405
      return
    }
    let page: Page
    try {
      page = ctx.method === 'POST' ? await act(ctx, match[1]!) : await show(match[1]!)
    } catch (error) {
      // Never the path or the error object: both could carry the link.
      log.error({ method: ctx.method, err: (error as Error).name }, 'email link request failed')
      page = pages.failed()
    }
    ctx.status = page.status
    ctx.type = 'text/html; charset=utf-8'
    ctx.body = page.html
  }
}

function secondsLeft(claims: OpenedClaims): number {
  return claims.exp - Math.floor(Date.now() / 1000)
}
