import { sha256 } from './sha256.js'
import { advance, begin, refusalOf, respondedBy, type PersistedCheckpoint, type Step } from '../machine/index.js'
import { isTerminal, type Actor, type CheckpointContext, type CheckpointEvent, type CheckpointState, type Effect, type RespondedBy } from '../machine/types.js'
import { under, type AnswerInput, type AnswerOutcome, type PersonalActInput } from './answer-outcome.js'
import { GENESIS, sealEntry, type AuditDraft, type AuditEntry } from './audit.js'
import { canonicalJson } from './canonical-json.js'
import { checkpointInput } from './checkpoint-input.js'
import { delegatedFrom } from './delegated-from.js'
import type { CheckpointStore, LoadedCheckpoint, OutboxEntry } from './checkpoint-store.js'
import type { CreateSpec } from './create-spec.js'
import { CheckpointNotFound, CommitContention, EventRefused, IdempotencyConflict } from './errors.js'
import { valueProblems } from './json-schema.js'
import { ValidationFailed } from './problems.js'
import type { Assigner } from './pick-assignee.js'
import type { Keyring } from './keyring.js'
import { CommitStatus } from './scripts/commit-checkpoint.js'
import { requestHash, type StoredRequest } from './stored-request.js'

/**
 * What a dispatch left to do after its jobs were added: first attempts the committing process
 * makes itself (queues/attempts/). `run` settles once each succeeded, ended for good or became
 * a job, within `leaseMs`: the sweeper leaves the outbox entry alone that long, so only a
 * crash leaves it to the sweeper, which then dispatches it again (at least once, as before).
 */
export interface Dispatched {
  inline?: { run: () => Promise<void>; leaseMs: number }
}

/**
 * Turns committed effects into jobs. Must be idempotent: the sweeper may call it again.
 * `committed`: the checkpoint as the commit that asked for these effects left it, when the
 * committing process dispatches them (absent when the sweeper does): attempts need not load it.
 */
export interface EffectDispatcher {
  dispatch(entry: OutboxEntry, request: StoredRequest, committed?: LoadedCheckpoint): Promise<Dispatched | void>
  /**
   * How long to keep the sweeper off these effects' outbox entry when this process will likely
   * make some first attempts itself; undefined when it will not. The commit writes the entry
   * leased, which saves the separate lease write a dispatch with inline attempts would make.
   */
  inlineLeaseMs?(effects: readonly Effect[], request: StoredRequest): number | undefined
}


/** What a committed transition was: enough for metrics and the inspector, read after the fact. */
export interface CommittedInfo {
  id: string
  from: CheckpointState | null
  to: CheckpointState
  event: string
  request: StoredRequest
  /** The event as the machine took it (absent for `checkpoint.create`). */
  input?: CheckpointEvent
  /** The snapshot now stored, and its version. */
  persisted?: PersistedCheckpoint
  version?: number
}

export interface EngineObserver {
  committed?(info: CommittedInfo): void
  /** An audit-only entry was appended (a view, a resume outcome, a failed delivery). */
  noted?(info: { id: string; entry: AuditEntry; context: CheckpointContext }): void
  dispatchFailed?(info: { id: string; version: number; error: unknown }): void
}

export interface EngineOptions {
  store: CheckpointStore
  keyring: Keyring
  dispatcher: EffectDispatcher
  clock?: () => number
  observer?: EngineObserver
  idempotencyTtlSeconds?: number
  /** Resolves who a new checkpoint is assigned to when the request asks Holdpoint to pick. */
  assigner?: Assigner
  /**
   * Runs once a new checkpoint is committed (standing rules: engine/rules/) and returns it as
   * it then stands. It answers through `answer`, never by writing state itself.
   */
  afterCreate?: (checkpoint: LoadedCheckpoint) => Promise<LoadedCheckpoint>
  /**
   * Recipients whose delivery is the commit itself (the dashboard: a committed checkpoint is
   * on every reviewer's screen). The commit that asks to deliver to one also records it as
   * delivered, with the same audit entry a separate `checkpoint.delivered` would add; the
   * dispatcher sends them nothing.
   */
  inlineRecipients?: ReadonlySet<string>
}

export interface SendOptions {
  /** Facts for the audit entry beyond what the event says (what the person was shown, etc.). */
  shownHash?: string
  data?: Record<string, unknown>
}

// A burst of n people answering at once needs about n rounds for the last refusal to be
// audited (each round one writer wins the audit head), so this bounds bursts, not loops.
const MAX_ATTEMPTS = 200
const SYSTEM: RespondedBy = { channel: 'system', actor: 'holdpoint' }

function fingerprint(spec: CreateSpec): string {
  const { idempotencyKey: _ignored, ...rest } = spec
  return sha256(canonicalJson(rest), 'base64url')
}

const auditKind: Record<CheckpointEvent['type'], AuditDraft['kind']> = {
  'checkpoint.delivered': 'delivered',
  'checkpoint.claim': 'claimed',
  'checkpoint.release': 'released',
  'checkpoint.answer': 'answered',
  'checkpoint.cancel': 'cancelled',
  'checkpoint.timeout': 'timed_out',
  'checkpoint.escalate': 'escalated',
  'checkpoint.remind': 'reminded',
  'checkpoint.extend': 'extended',
  'checkpoint.reassign': 'reassigned',
  'checkpoint.verdict': 'verified',
}

function draftFor(event: CheckpointEvent, step: Step, request: StoredRequest, extra: SendOptions): AuditDraft {
  const ctx = step.persisted.context
  const actor =
    'by' in event
      ? respondedBy(event.by)
      : event.type === 'checkpoint.verdict'
        ? { channel: 'system' as const, actor: 'verifier', ...(event.model !== undefined && { name: event.model }) }
        : event.type === 'checkpoint.timeout'
          ? (ctx.respondedBy ?? SYSTEM)
          : SYSTEM
  const data: Record<string, unknown> = { ...extra.data }
  if (event.type === 'checkpoint.delivered') data.recipient = event.recipient
  if (event.type === 'checkpoint.answer') data.response = event.response
  if (event.type === 'checkpoint.cancel' && event.reason) data.reason = event.reason
  if (event.type === 'checkpoint.timeout' && step.state === 'resolved') data.defaultResponse = ctx.response
  if (event.type === 'checkpoint.answer' && ctx.outcome !== null) data.outcome = ctx.outcome
  if (event.type === 'checkpoint.escalate') Object.assign(data, { tier: ctx.tier, notify: ctx.tierNotify, assignTo: ctx.assignTo })
  if (event.type === 'checkpoint.remind') Object.assign(data, { reminder: ctx.remindersSent, recipients: ctx.tierNotify })
  if (event.type === 'checkpoint.extend') data.timeoutAt = new Date(event.timeoutAt).toISOString()
  if (event.type === 'checkpoint.reassign') Object.assign(data, { assignTo: event.assignTo, notify: event.notify ?? [] })
  if (event.type === 'checkpoint.verdict') Object.assign(data, { passed: event.passed, reason: event.reason, attempt: event.attempt, ...(event.model !== undefined && { model: event.model }), ...(event.response !== undefined && { response: event.response }) })
  if (event.type === 'checkpoint.answer' || event.type === 'checkpoint.claim') {
    const from = delegatedFrom(event.by, ctx.assignTo)
    if (from.length > 0) data.delegatedFrom = from
  }
  const draft: AuditDraft = { kind: auditKind[event.type], actor }
  if ('by' in event) draft.shownHash = extra.shownHash ?? request.requestHash
  if (Object.keys(data).length > 0) draft.data = data
  return draft
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

type Delivered = Extract<CheckpointEvent, { type: 'checkpoint.delivered' }>

/** One commit's steps: the event's own, then the inline deliveries it implies. */
interface Chain {
  final: Step
  effects: Effect[]
  entries: AuditEntry[]
  deliveries: Array<{ event: Delivered; from: CheckpointState; step: Step }>
}

/**
 * The one write path: load the snapshot with its version, run the pure transition, commit
 * snapshot + audit + outbox atomically, then hand the outbox to the dispatcher. A lost race
 * reloads and recomputes; a refusal by the machine changes nothing (and is audited when a
 * person or service asked).
 */
export class Engine {
  readonly store: CheckpointStore
  private readonly keyring: Keyring
  private readonly dispatcher: EffectDispatcher
  private readonly clock: () => number
  private readonly observer: EngineObserver
  private readonly idempotencyTtlSeconds: number
  private readonly assigner: Assigner | undefined
  private readonly afterCreate: ((checkpoint: LoadedCheckpoint) => Promise<LoadedCheckpoint>) | undefined
  private readonly inlineRecipients: ReadonlySet<string>

  constructor(options: EngineOptions) {
    this.store = options.store
    this.keyring = options.keyring
    this.dispatcher = options.dispatcher
    this.clock = options.clock ?? Date.now
    this.observer = options.observer ?? {}
    this.idempotencyTtlSeconds = options.idempotencyTtlSeconds ?? 60 * 60 * 24
    this.assigner = options.assigner
    this.afterCreate = options.afterCreate
    this.inlineRecipients = options.inlineRecipients ?? new Set()
  }

  now(): number {
    return this.clock()
  }

  /** Creates a checkpoint, or replays the one created earlier with the same idempotency key. */
  async create(requested: CreateSpec, principal: string): Promise<{ checkpoint: LoadedCheckpoint; replayed: boolean }> {
    // The idempotency fingerprint is of what the agent sent, not of whom we picked for it.
    const print = fingerprint(requested)
    const spec = this.assigner ? await this.assigner(requested) : requested
    const now = this.clock()
    const { idempotencyKey, ...rest } = spec
    const idempotency = idempotencyKey !== undefined ? { scope: principal, key: sha256(idempotencyKey, 'base64url') } : undefined
    // In the idempotency record's shard on a Cluster, so one commit writes both.
    const id = this.store.newId(now, idempotency)
    const assignTo = spec.assignTo ?? spec.notify
    const request: StoredRequest = { ...rest, assignTo, createdBy: principal, requestHash: requestHash(spec) }
    if (idempotencyKey !== undefined) request.idempotencyKey = idempotencyKey
    const step = begin(checkpointInput(id, now, request))
    const audit = sealEntry(
      this.keyring,
      { kind: 'created', actor: { channel: 'api', actor: principal }, shownHash: request.requestHash, data: { notify: spec.notify, assignTo } },
      { seq: 0, at: now, state: step.state, prev: GENESIS },
    )
    const chain = this.chain(step, audit, request, now)
    const lease = this.leaseAtCommit(chain.effects, request, now)
    const result = await this.store.commit({
      id,
      expectedVersion: 0,
      expectedHead: '',
      current: null,
      previousState: null,
      next: chain.final,
      state: chain.final.state,
      audit: chain.entries,
      effects: chain.effects,
      now,
      ...(lease !== undefined && { outboxDueAt: lease }),
      create: {
        request,
        ...(idempotency !== undefined && {
          idempotency: {
            ...idempotency,
            record: JSON.stringify({ id, fingerprint: print }),
            ttlSeconds: this.idempotencyTtlSeconds,
          },
        }),
      },
    })
    if (result.status === CommitStatus.IdempotencyHit) {
      const original = JSON.parse(result.record) as { id: string; fingerprint: string }
      if (original.fingerprint !== print) throw new IdempotencyConflict(idempotencyKey ?? '')
      const checkpoint = await this.store.load(original.id)
      if (!checkpoint) throw new CheckpointNotFound(original.id)
      return { checkpoint, replayed: true }
    }
    if (result.status !== CommitStatus.Ok) throw new Error(`creating ${id} failed with status ${result.status}`)
    this.observer.committed?.({ id, from: null, to: step.state, event: 'checkpoint.create', request, persisted: step.persisted, version: 1 })
    this.observeDeliveries(id, chain, request, 1)
    // After the commit, so the index never names a checkpoint that was not created; a crash
    // in between leaves that one checkpoint out of its batch's row (it is still listed alone).
    if (request.batch) await this.store.addToBatch(principal, request.batch.id, id)
    // Everything the reader would load is what was just committed: skip the round trip.
    const created: LoadedCheckpoint = {
      id,
      request,
      persisted: chain.final.persisted,
      state: chain.final.state,
      version: 1,
      auditHead: chain.entries[chain.entries.length - 1]!.hash,
      auditLength: chain.entries.length,
    }
    // Before the creation's deliveries are queued, so a request a standing rule answers is
    // already finished when they run (the delivery worker skips finished checkpoints) and
    // nobody is asked. A crash in between leaves it pending for a person: the sweeper delivers it.
    const checkpoint = this.afterCreate ? await this.afterCreate(created).catch(() => created) : created
    await this.dispatchNow({ checkpointId: id, version: 1, effects: chain.effects }, request, checkpoint, lease !== undefined)
    return { checkpoint, replayed: false }
  }

  async get(id: string): Promise<LoadedCheckpoint | null> {
    return this.store.load(id)
  }

  /**
   * The one way an answer is recorded, from any surface: validated against responseSchema
   * (whoever calls), routed by the machine (assignTo, claims, quorum), audited (a refusal in
   * one shape), committed. Never throws for an outcome a person can cause.
   */
  async answer(input: AnswerInput): Promise<AnswerOutcome> {
    const loaded = input.loaded?.id === input.id ? input.loaded : await this.store.load(input.id)
    if (!loaded) return { status: 'not_found', id: input.id }
    const extra: SendOptions = { data: { via: input.via, ...input.data }, ...(input.shownHash !== undefined && { shownHash: input.shownHash }) }
    if (!isTerminal(loaded.state)) {
      const problems = await valueProblems(loaded.request.responseSchema, input.response)
      if (problems.length > 0) {
        await this.recordRefusal(loaded, input.by, 'answered', 'invalid_response', { ...extra, data: { ...extra.data, problems: under('/response', problems) } })
        return { status: 'invalid', problems, checkpoint: loaded }
      }
    }
    // The load that validated is also the first attempt's: one round trip, not two.
    return this.personally(input.id, (now) => ({ type: 'checkpoint.answer', now, by: input.by, response: input.response }), extra, loaded)
  }

  /** A person takes the checkpoint so that nobody else answers meanwhile. */
  claim(input: PersonalActInput): Promise<AnswerOutcome> {
    return this.personally(input.id, (now) => ({ type: 'checkpoint.claim', now, by: input.by }), { data: { via: input.via, ...input.data } }, input.loaded)
  }

  /** The claimant gives the checkpoint back. */
  release(input: PersonalActInput): Promise<AnswerOutcome> {
    return this.personally(input.id, (now) => ({ type: 'checkpoint.release', now, by: input.by }), { data: { via: input.via, ...input.data } }, input.loaded)
  }

  private async personally(id: string, build: (now: number) => CheckpointEvent, extra: SendOptions, current?: LoadedCheckpoint): Promise<AnswerOutcome> {
    try {
      return { status: 'recorded', checkpoint: await this.apply(id, build, extra, current) }
    } catch (error) {
      if (error instanceof CheckpointNotFound) return { status: 'not_found', id }
      if (error instanceof CommitContention) return { status: 'busy', id }
      if (!(error instanceof EventRefused) || !error.checkpoint) throw error
      const { refusal, checkpoint } = error
      return refusal.code === 'terminal' ? { status: 'finished', checkpoint } : { status: 'refused', refusal, checkpoint }
    }
  }

  /**
   * Applies one event that is not an answer (answers go through `answer`, which validates
   * them). Throws EventRefused (nothing changed) when the machine does not take it,
   * CheckpointNotFound, or CommitContention after too many lost races. `current`, a load the
   * caller has just made, saves the first round trip (a lost race reloads).
   */
  async send(id: string, build: (now: number) => CheckpointEvent, extra: SendOptions = {}, current?: LoadedCheckpoint): Promise<LoadedCheckpoint> {
    return this.apply(
      id,
      (now) => {
        const event = build(now)
        if (event.type === 'checkpoint.answer') throw new TypeError('answers are recorded through Engine.answer, which validates them')
        return event
      },
      extra,
      current,
    )
  }

  private async apply(id: string, build: (now: number) => CheckpointEvent, extra: SendOptions, current?: LoadedCheckpoint): Promise<LoadedCheckpoint> {
    return this.optimistically(id, current, async (loaded) => {
      const now = Math.max(this.clock(), loaded.persisted.context.updatedAt)
      const event = build(now)
      // A verifier may rewrite the answer (free text read into the schema): that is an answer too.
      if (event.type === 'checkpoint.verdict' && event.passed && event.response !== undefined) {
        const problems = await valueProblems(loaded.request.responseSchema, event.response, '/response')
        if (problems.length > 0) throw new ValidationFailed(problems, 'The verifier’s answer does not match the checkpoint’s responseSchema.')
      }
      const step = advance(loaded.persisted, event)
      if (!step) {
        const refusal = refusalOf(loaded.persisted, event)
        if ('by' in event) await this.recordRefusal(loaded, event.by, auditKind[event.type], refusal.code, extra)
        throw new EventRefused(id, refusal, loaded)
      }
      const audit = sealEntry(this.keyring, draftFor(event, step, loaded.request, extra), {
        seq: loaded.auditLength,
        at: now,
        state: step.state,
        prev: loaded.auditHead,
      })
      const chain = this.chain(step, audit, loaded.request, now)
      const lease = this.leaseAtCommit(chain.effects, loaded.request, now)
      const result = await this.store.commit({
        id,
        expectedVersion: loaded.version,
        expectedHead: loaded.auditHead,
        current: loaded,
        previousState: loaded.state,
        next: chain.final,
        state: chain.final.state,
        audit: chain.entries,
        effects: chain.effects,
        now,
        ...(lease !== undefined && { outboxDueAt: lease }),
      })
      if (result.status === CommitStatus.Ok) {
        this.observer.committed?.({ id, from: loaded.state, to: step.state, event: event.type, request: loaded.request, input: event, persisted: step.persisted, version: result.version })
        this.observeDeliveries(id, chain, loaded.request, result.version)
        const head = chain.entries[chain.entries.length - 1]!.hash
        const committed: LoadedCheckpoint = { ...loaded, persisted: chain.final.persisted, state: chain.final.state, version: result.version, auditHead: head, auditLength: loaded.auditLength + chain.entries.length }
        if (chain.effects.length > 0) {
          await this.dispatchNow({ checkpointId: id, version: result.version, effects: chain.effects }, loaded.request, committed, lease !== undefined)
        }
        return committed
      }
      return result.status
    })
  }

  /**
   * A step followed by the deliveries to inline recipients its effects ask for, each its own
   * machine event and audit entry (at the same time), all for one commit.
   */
  private chain(step: Step, first: AuditEntry, request: StoredRequest, now: number): Chain {
    const chain: Chain = { final: step, effects: [...step.effects], entries: [first], deliveries: [] }
    const asked = step.effects.flatMap((effect) => (effect.type === 'deliver' ? effect.recipients : []))
    for (const recipient of asked.filter((r) => this.inlineRecipients.has(r))) {
      const event: Delivered = { type: 'checkpoint.delivered', now, recipient }
      const next = advance(chain.final.persisted, event)
      // Already delivered to them (a reassignment naming them again): nothing to record.
      if (!next) continue
      const prev = chain.entries[chain.entries.length - 1]!
      chain.entries.push(sealEntry(this.keyring, draftFor(event, next, request, {}), { seq: prev.seq + 1, at: now, state: next.state, prev: prev.hash }))
      chain.deliveries.push({ event, from: chain.final.state, step: next })
      chain.effects.push(...next.effects)
      chain.final = next
    }
    return chain
  }

  private observeDeliveries(id: string, chain: Chain, request: StoredRequest, version: number): void {
    for (const { event, from, step } of chain.deliveries) {
      this.observer.committed?.({ id, from, to: step.state, event: event.type, request, input: event, persisted: step.persisted, version })
    }
  }

  /** Appends an audit entry that changes no state (a view, a resume outcome, a refusal). */
  async note(id: string, draft: AuditDraft, current?: LoadedCheckpoint): Promise<AuditEntry> {
    return this.optimistically(id, current, async (loaded) => {
      const entry = sealEntry(this.keyring, draft, { seq: loaded.auditLength, at: this.clock(), state: loaded.state, prev: loaded.auditHead })
      const result = await this.store.commit({
        id,
        expectedVersion: -1,
        expectedHead: loaded.auditHead,
        current: loaded,
        previousState: loaded.state,
        next: null,
        state: loaded.state,
        audit: [entry],
        effects: [],
        now: this.clock(),
      })
      if (result.status === CommitStatus.Ok) {
        this.observer.noted?.({ id, entry, context: loaded.persisted.context })
        return entry
      }
      return result.status
    })
  }

  /**
   * Load, compute, compare-and-set; when another writer won the race, again from a fresh
   * load (jittered, growing pauses), up to MAX_ATTEMPTS times. `attempt` returns the value
   * on success or the commit status that lost.
   */
  private async optimistically<T>(id: string, current: LoadedCheckpoint | undefined, attempt: (loaded: LoadedCheckpoint) => Promise<T | CommitStatus>): Promise<T> {
    for (let n = 0; n < MAX_ATTEMPTS; n++) {
      // A caller that has just loaded the checkpoint saves the first round trip; a lost race reloads.
      const loaded = n === 0 && current?.id === id ? current : await this.store.load(id)
      if (!loaded) throw new CheckpointNotFound(id)
      const outcome = await attempt(loaded)
      if (outcome === CommitStatus.NotFound) throw new CheckpointNotFound(id)
      if (outcome !== CommitStatus.VersionConflict && outcome !== CommitStatus.AuditHeadConflict) return outcome as T
      await pause(Math.random() * Math.min(50, 2 ** n))
    }
    throw new CommitContention(id)
  }

  /** Every refusal of a person's act is audited in this one shape. */
  private async recordRefusal(loaded: LoadedCheckpoint, by: Actor, attempted: string, code: string, extra: SendOptions) {
    const draft: AuditDraft = {
      kind: 'refused',
      actor: respondedBy(by),
      shownHash: extra.shownHash ?? loaded.request.requestHash,
      data: { attempted, reason: code, ...extra.data },
    }
    await this.note(loaded.id, draft, loaded)
  }

  /** The outbox entry's due time when the commit writes it leased (see EffectDispatcher.inlineLeaseMs). */
  private leaseAtCommit(effects: readonly Effect[], request: StoredRequest, now: number): number | undefined {
    if (effects.length === 0) return undefined
    const ms = this.dispatcher.inlineLeaseMs?.(effects, request)
    return ms === undefined ? undefined : now + ms
  }

  /** Hands effects to the dispatcher right after commit; on failure the sweeper retries. */
  private async dispatchNow(entry: OutboxEntry, request: StoredRequest, committed?: LoadedCheckpoint, leasedByCommit = false): Promise<void> {
    const failed = (error: unknown) => this.observer.dispatchFailed?.({ id: entry.checkpointId, version: entry.version, error })
    try {
      const inline = (await this.dispatcher.dispatch(entry, request, committed))?.inline
      if (!inline) {
        await this.store.clearOutbox(entry.checkpointId, entry.version)
        return
      }
      // The caller (an API request, a job) does not wait for mail servers or webhooks.
      if (!leasedByCommit) await this.store.leaseOutbox(entry.checkpointId, entry.version, this.clock() + inline.leaseMs)
      void inline
        .run()
        .then(() => this.store.clearOutbox(entry.checkpointId, entry.version))
        .catch(failed)
    } catch (error) {
      failed(error)
    }
  }

  /** Re-dispatches outbox entries left behind (a crash between commit and dispatch). */
  async sweepOutbox(olderThanMs: number, limit = 500): Promise<number> {
    const entries = await this.store.pendingOutbox(this.clock() - olderThanMs, limit)
    for (const entry of entries) {
      const loaded = await this.store.load(entry.checkpointId)
      if (!loaded) {
        await this.store.clearOutbox(entry.checkpointId, entry.version)
        continue
      }
      await this.dispatchNow(entry, loaded.request)
    }
    return entries.length
  }
}
