import type { Actor, CheckpointContext, QuorumAnswer, QuorumRule } from './types.js'
import { respondedBy } from './identity.js'

/**
 * Quorum arithmetic, kept out of the statechart so it reads as rules, not plumbing.
 *
 * - Each person counts once, whichever channel they answer on: a person is their
 *   `user:<id>` identity when the directory knows them, else `<channel>:<actor>`.
 * - With a boolean decision field (`approved`), `approvals` true answers resolve it as
 *   approved, and `rejectOn` false answers (default 1) resolve it early as rejected.
 * - Without one, any `approvals` answers resolve it; the combined response is the value most
 *   of them gave (ties go to the earliest), and every answer travels in the webhook.
 */
export function personOf(by: Actor): string {
  return by.identities?.find((i) => i.startsWith('user:')) ?? `${by.channel}:${by.actor}`
}

export function hasAnswered(ctx: Pick<CheckpointContext, 'answers'>, by: Actor): boolean {
  const person = personOf(by)
  return ctx.answers.some((a) => a.person === person)
}

export function quorumAnswer(rule: QuorumRule, by: Actor, response: unknown, at: number): QuorumAnswer {
  const field = rule.decisionField
  const value = field !== null && response !== null && typeof response === 'object' ? (response as Record<string, unknown>)[field] : undefined
  return { by: respondedBy(by), person: personOf(by), response, at, approve: typeof value === 'boolean' ? value : null }
}

export type QuorumDecision = { done: false } | { done: true; outcome: 'approved' | 'rejected'; response: unknown; by: QuorumAnswer['by'] }

export function decide(rule: QuorumRule, answers: readonly QuorumAnswer[]): QuorumDecision {
  const last = answers.at(-1)
  if (!last) return { done: false }
  if (rule.decisionField !== null) {
    const rejections = answers.filter((a) => a.approve === false).length
    const approvals = answers.filter((a) => a.approve === true).length
    if (rejections >= (rule.rejectOn ?? 1)) return { done: true, outcome: 'rejected', response: last.response, by: last.by }
    if (approvals >= rule.approvals) return { done: true, outcome: 'approved', response: last.response, by: last.by }
    return { done: false }
  }
  if (answers.length < rule.approvals) return { done: false }
  const counts = new Map<string, { n: number; first: QuorumAnswer }>()
  for (const a of answers) {
    const key = JSON.stringify(a.response)
    const seen = counts.get(key)
    if (seen) seen.n++
    else counts.set(key, { n: 1, first: a })
  }
  let best: { n: number; first: QuorumAnswer } | undefined
  for (const c of counts.values()) if (!best || c.n > best.n) best = c
  return { done: true, outcome: 'approved', response: best!.first.response, by: last.by }
}
