import type { AnswerOutcome } from '../../engine/answer-outcome.js'
import type { LoadedCheckpoint } from '../../engine/checkpoint-store.js'
import type { Directory } from '../../engine/directory.js'
import type { Engine } from '../../engine/engine.js'
import { describeRefusal } from '../../engine/errors.js'
import { mayAct } from '../../machine/identity.js'
import { isTerminal } from '../../machine/types.js'
import { approvalAnswer } from '../common/answer-choices.js'
import { batchPages, type BatchLine } from './batch-link-pages.js'
import { emailActor } from './email-actor.js'
import { pages, type Page } from './link-pages.js'
import type { LinkUses, MagicLinkClaims } from './magic-link.js'

/**
 * A batch mail's "Approve all" link (`a: 'b'`). GET lists what the POST would do; the POST
 * sends each member's approval through Engine.answer on its own, so each is checked, routed
 * and audited as if its own link had been used. Only members mailed to this address count,
 * and only those whose decision is one boolean; the others stay open for their own links.
 */
export interface BatchLinkDeps {
  engine: Engine
  directory: Directory
  uses: LinkUses
}

type Claims = MagicLinkClaims & { exp: number; b: string }

export interface BatchLinks {
  show(claims: Claims): Promise<Page>
  act(claims: Claims, secondsLeft: number): Promise<Page>
}

interface Member {
  cp: LoadedCheckpoint
  /** The approve answer when this address may give it with one click, else why not. */
  approval: { response: unknown } | { reason: string }
}

export function batchLinks(deps: BatchLinkDeps): BatchLinks {
  async function members(claims: Claims): Promise<{ title: string; items: Member[] } | null> {
    const opener = await deps.engine.get(claims.cp)
    const batch = opener?.request.batch
    if (!opener || batch?.id !== claims.b) return null
    const ids = await deps.engine.store.batchMembers(opener.request.createdBy, batch.id)
    const loaded = await Promise.all(ids.map((id) => deps.engine.get(id)))
    const mailed = loaded.filter((cp): cp is LoadedCheckpoint => cp !== null && cp.persisted.context.notify.some((r) => r.toLowerCase() === `email:${claims.to}`))
    const items = await Promise.all(
      mailed.map(async (cp): Promise<Member> => {
        if (isTerminal(cp.state)) return { cp, approval: { reason: 'Already decided.' } }
        const actor = await emailActor(deps.directory, claims.to, cp.persisted.context.assignTo)
        if (!mayAct({ assignTo: cp.persisted.context.assignTo }, actor)) return { cp, approval: { reason: 'You are not among the people who answer it.' } }
        return { cp, approval: approvalAnswer(cp.request.responseSchema) ?? { reason: 'It needs more than one click: use its own link.' } }
      }),
    )
    return { title: batch.title, items }
  }

  const line = (m: Member, note: string | null): BatchLine => ({ task: m.cp.request.task, note })

  return {
    async show(claims: Claims): Promise<Page> {
      const found = await members(claims)
      if (!found) return pages.notFound()
      if (await deps.uses.used(claims)) return batchPages.used(found.title)
      const lines = found.items.map((m) => line(m, 'response' in m.approval ? null : m.approval.reason))
      const count = lines.filter((l) => l.note === null).length
      return count === 0 ? batchPages.nothing(found.title, lines) : batchPages.confirm(found.title, lines, count)
    },

    async act(claims: Claims, secondsLeft: number): Promise<Page> {
      const found = await members(claims)
      if (!found) return pages.notFound()
      if (!(await deps.uses.burn(claims, secondsLeft))) return batchPages.used(found.title)
      let recorded = 0
      const lines: BatchLine[] = []
      for (const m of found.items) {
        if (!('response' in m.approval)) {
          lines.push(line(m, m.approval.reason))
          continue
        }
        const by = await emailActor(deps.directory, claims.to, m.cp.persisted.context.assignTo)
        const outcome = await deps.engine.answer({ id: m.cp.id, by, response: m.approval.response, via: 'email-approve-all', data: { batch: claims.b }, loaded: m.cp })
        if (outcome.status === 'recorded') recorded++
        lines.push(line(m, outcomeNote(outcome)))
      }
      // Nothing recorded: the link keeps its one use, as a single link does.
      if (recorded === 0) await deps.uses.restore(claims)
      return batchPages.done(found.title, lines, recorded)
    },
  }
}

/** Null when recorded; otherwise why not, in the reader's words. */
function outcomeNote(outcome: AnswerOutcome): string | null {
  switch (outcome.status) {
    case 'recorded':
      return null
    case 'invalid':
      return 'The approval does not fit what it asks for.'
    case 'busy':
      return 'It was changing meanwhile; nothing was recorded.'
    case 'not_found':
      return 'It no longer exists.'
    case 'finished':
      return 'Already decided.'
    case 'refused':
      return describeRefusal(outcome.refusal)
  }
}
