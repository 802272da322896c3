import type { Actor, RespondedBy } from '../../machine/types.js'
import type { AnswerInput, AnswerOutcome } from '../answer-outcome.js'
import type { AuditDraft } from '../audit.js'
import type { LoadedCheckpoint } from '../checkpoint-store.js'
import { policyMatches, type Policy, type PolicyFacts } from './policy.js'
import { DAY_MS, type RememberedDecision, type RememberedStore } from './remembered.js'

/** The slice of the engine rules use: the one answer path and audit notes. */
export interface RuleEngine {
  now(): number
  answer(input: AnswerInput): Promise<AnswerOutcome>
  note(id: string, draft: AuditDraft, current?: LoadedCheckpoint): Promise<unknown>
}

export interface StandingRulesOptions {
  /** The policies in force now (the file may be reloaded at any time). */
  policies: () => readonly Policy[]
  remembered: RememberedStore
  /** Told about a rule that could not be applied; the checkpoint then waits for a person. */
  onError?: (error: unknown, checkpointId: string) => void
}

/** What operators see: policies read-only (from the file), remembered decisions revocable. */
export interface RulesView {
  policies: Array<{ id: string; tokens: string[]; when: unknown; response: unknown; note: string | null }>
  remembered: Array<{ id: string; token: string; key: string; response: unknown; decidedBy: RespondedBy; checkpointId: string; createdAt: string; expiresAt: string }>
}

/**
 * Standing rules: answers given ahead of time. Both kinds answer through Engine.answer as
 * actor `{ channel: 'rule', actor: <rule id> }`, so responseSchema validation, routing,
 * audit and resume are exactly those of any answer; a rule whose answer the schema refuses
 * is audited as a refusal (by Engine.answer) and the next rule, or a person, decides.
 */
export class StandingRules {
  constructor(private readonly options: StandingRulesOptions) {}

  /** Right after a checkpoint is committed: the first rule that applies answers it. */
  async afterCreate(engine: RuleEngine, checkpoint: LoadedCheckpoint): Promise<LoadedCheckpoint> {
    const { request } = checkpoint
    // A quorum asks for several people; one standing answer must not stand in for them all.
    if (request.quorum) return checkpoint
    try {
      const facts: PolicyFacts = { payload: request.payload ?? null, metadata: request.metadata ?? {}, task: request.task }
      // The checkpoint as just committed saves the first answer a load; a refused one is stale.
      let loaded: LoadedCheckpoint | undefined = checkpoint
      for (const policy of this.options.policies()) {
        if (!policyMatches(policy, request.createdBy, facts)) continue
        const by: Actor = { channel: 'rule', actor: policy.id, name: policy.note ?? `policy ${policy.id}` }
        const outcome = await engine.answer({ id: checkpoint.id, by, response: policy.response, via: 'policy', data: { rule: 'policy', ...(policy.note !== undefined && { note: policy.note }) }, loaded })
        if (outcome.status !== 'invalid') return outcomeCheckpoint(outcome, checkpoint)
        loaded = undefined
      }
      if (!request.remember) return checkpoint
      const decision = await this.options.remembered.find(request.createdBy, request.remember.key, engine.now())
      if (!decision) return checkpoint
      const by: Actor = { channel: 'rule', actor: decision.id, name: `remembered decision of ${decision.decidedBy.name ?? decision.decidedBy.actor}` }
      const outcome = await engine.answer({
        id: checkpoint.id,
        by,
        response: decision.response,
        via: 'remembered',
        data: { rule: 'remembered', key: decision.key, decidedBy: decision.decidedBy, from: decision.checkpointId, expiresAt: new Date(decision.expiresAt).toISOString() },
        loaded,
      })
      return outcomeCheckpoint(outcome, checkpoint)
    } catch (error) {
      this.options.onError?.(error, checkpoint.id)
      return checkpoint
    }
  }

  /**
   * "Decide the same for the next N days", after the person's answer was recorded. Only an
   * answer that resolved the checkpoint is remembered: one still verifying or counted toward
   * a quorum may yet not stand. Returns null when nothing was remembered.
   */
  async remember(engine: RuleEngine, answered: LoadedCheckpoint, by: Actor, response: unknown): Promise<RememberedDecision | null> {
    const spec = answered.request.remember
    const respondedBy = answered.persisted.context.respondedBy
    if (!spec || answered.state !== 'resolved' || answered.request.quorum || respondedBy?.channel !== by.channel || respondedBy.actor !== by.actor) return null
    const now = engine.now()
    const decision = await this.options.remembered.put({
      token: answered.request.createdBy,
      key: spec.key,
      response,
      decidedBy: respondedBy,
      checkpointId: answered.id,
      createdAt: now,
      expiresAt: now + spec.maxDays * DAY_MS,
    })
    await engine.note(answered.id, {
      kind: 'rule.remembered',
      actor: respondedBy,
      data: { rule: decision.id, key: spec.key, maxDays: spec.maxDays, expiresAt: new Date(decision.expiresAt).toISOString() },
    }, answered)
    return decision
  }

  /** Revokes a remembered decision; audited on the checkpoint whose answer it repeated. */
  async revoke(engine: RuleEngine, id: string, by: RespondedBy): Promise<RememberedDecision | null> {
    const revoked = await this.options.remembered.revoke(id, engine.now())
    if (!revoked) return null
    try {
      await engine.note(revoked.checkpointId, { kind: 'rule.revoked', actor: by, data: { rule: revoked.id, key: revoked.key } })
    } catch (error) {
      // The source checkpoint may be archived already; the revocation itself stands.
      this.options.onError?.(error, revoked.checkpointId)
    }
    return revoked
  }

  async view(now: number): Promise<RulesView> {
    const remembered = await this.options.remembered.list(now)
    return {
      policies: this.options.policies().map((p) => ({ id: p.id, tokens: p.tokens, when: p.when, response: p.response, note: p.note ?? null })),
      remembered: remembered.map((d) => ({ ...d, createdAt: new Date(d.createdAt).toISOString(), expiresAt: new Date(d.expiresAt).toISOString() })),
    }
  }
}

function outcomeCheckpoint(outcome: AnswerOutcome, fallback: LoadedCheckpoint): LoadedCheckpoint {
  return 'checkpoint' in outcome ? outcome.checkpoint : fallback
}
