import type { Dispatched, EffectDispatcher } from '../engine/engine.js'
import type { LoadedCheckpoint, OutboxEntry } from '../engine/checkpoint-store.js'
import { resumeTargetOf, type StoredRequest } from '../engine/stored-request.js'
import type { Effect } from '../machine/types.js'
import { timerJobName, type DeliverJob, type ResumeJob, type TimerJob, type VerifyJob } from '../plugins/job-data.js'
import { BATCH_GATHER_MS } from './batch-gather.js'
import { jobIds } from './job-ids.js'
import { channelOfRecipient, deliveryQueue, RESUME_QUEUE, TIMERS_QUEUE, VERIFY_QUEUE } from '../plugins/queue-names.js'
import type { QueueSet } from './queue-set.js'
import { DELIVERY_FIRST_RETRY_MS, DELIVERY_JOB, RESUME_JOB, resumeBackoffMs, VERIFY_JOB } from './retry-policy.js'
import { RetryAfterError } from '../plugins/channel.js'
import { attemptDelivery } from './attempts/delivery-attempt.js'
import { attemptResume } from './attempts/resume-attempt.js'
import { TOO_SLOW_RETRY_MS, TooSlow, type InlineAttempt, type InlineFirstAttempts } from './attempts/inline-first-attempts.js'

/** Turns `group:<name>` into its members' handles on the channels this deployment runs. */
export type RecipientExpander = (recipients: readonly string[]) => Promise<string[]>

export const noGroups: RecipientExpander = (recipients) => Promise.resolve(recipients.filter((r) => !r.startsWith('group:')))

/** The dashboard: every runtime records its delivery in the commit that asks for it, so its queue never gets a job (no worker waits on it). */
export const INLINE_CHANNEL = 'dashboard'

/** When a delivery's job runs after its inline first attempt: at once if none was made, else as its failure says. */
function retryDelayAfter(failure: unknown): number | undefined {
  if (failure === undefined) return undefined
  if (failure instanceof RetryAfterError) return failure.retryAfterMs
  return failure instanceof TooSlow ? TOO_SLOW_RETRY_MS : DELIVERY_FIRST_RETRY_MS
}

/**
 * Turns an outbox entry into BullMQ jobs. Every job id is derived from the checkpoint and
 * the effect, so a second dispatch of the same entry adds nothing. Deliveries and resumes this
 * process can make itself are tried inline first (queues/attempts/): only a failure becomes
 * the job, under the same id.
 */
export class BullmqEffectDispatcher implements EffectDispatcher {
  constructor(
    private readonly queues: QueueSet,
    private readonly clock: () => number = Date.now,
    private readonly expand: RecipientExpander = noGroups,
    /** Recipients the engine records as delivered in the commit that asks for them (the dashboard, EngineOptions.inlineRecipients): no job. */
    private readonly inline: ReadonlySet<string> = new Set(),
    /** Channels that send one message per batch (`Channel.deliverBatch`): only their batch members wait to gather. */
    private readonly gathersBatches: (channel: string) => boolean = () => false,
    /** First attempts made by this process (none: every effect is a job). */
    private readonly first: InlineFirstAttempts | null = null,
    /** The resume queue's first retry delay (HOLDPOINT_RESUME_FIRST_DELAY_MS). */
    private readonly resumeFirstDelayMs?: number,
  ) {}

  inlineLeaseMs(effects: readonly Effect[], request: StoredRequest): number | undefined {
    const first = this.first
    if (!first) return undefined
    const likely = effects.some((effect) => {
      if (effect.type === 'resume') return request.resume !== undefined && first.mayResume(resumeTargetOf(request))
      if (effect.type !== 'deliver' && effect.type !== 'remind' && effect.type !== 'publishUpdate') return false
      // A group may expand to anyone; a batch member's delivery waits as a job, so leasing it is harmless either way.
      return this.sent(effect).some((r) => r.startsWith('group:') || first.mayDeliver(channelOfRecipient(r)))
    })
    return likely ? first.leaseMs : undefined
  }

  /**
   * The recipients a delivery, reminder or update goes out to as jobs or attempts (before group
   * expansion). The dashboard is live through the commit's pub/sub message: it needs no update
   * job, and when its delivery is recorded by the commit, no delivery job either.
   */
  private sent(effect: Extract<Effect, { type: 'deliver' | 'remind' | 'publishUpdate' }>): string[] {
    return effect.type === 'deliver' ? effect.recipients.filter((r) => !this.inline.has(r)) : effect.recipients.filter((r) => r !== INLINE_CHANNEL)
  }

  async dispatch(entry: OutboxEntry, request: StoredRequest, committed?: LoadedCheckpoint): Promise<Dispatched> {
    const inline: InlineAttempt[] = []
    await Promise.all(entry.effects.map((effect) => this.one(entry, effect, request, inline, committed)))
    const first = this.first
    return inline.length === 0 || !first ? {} : { inline: { run: () => first.run(inline), leaseMs: first.leaseMs } }
  }

  private async one(entry: OutboxEntry, effect: Effect, request: StoredRequest, inline: InlineAttempt[], committed?: LoadedCheckpoint): Promise<void> {
    const id = entry.checkpointId
    switch (effect.type) {
      case 'deliver':
      case 'remind':
      case 'publishUpdate': {
        const jobName = effect.type === 'publishUpdate' ? 'update' : effect.type
        const wanted = this.sent(effect)
        const recipients = await this.expand(wanted)
        await Promise.all(
          recipients.map(async (recipient) => {
            const channel = channelOfRecipient(recipient)
            const data: DeliverJob = { checkpointId: id, recipient }
            const jobId = jobIds[jobName](id, entry.version, recipient)
            // A batch member's request waits a moment for its siblings (queues/batch-gather.ts).
            const gathers = jobName === 'deliver' && request.batch !== undefined && this.gathersBatches(channel)
            const enqueue = (delay?: number) => this.queues.add(deliveryQueue(channel), id, jobName, data, { ...DELIVERY_JOB, ...(delay !== undefined && { delay }), jobId })
            if (gathers) return enqueue(BATCH_GATHER_MS)
            if (!this.first?.mayDeliver(channel)) return enqueue()
            inline.push({
              kind: 'delivery',
              checkpointId: id,
              attempt: (deps) => attemptDelivery(deps, { checkpointId: id, recipient, kind: jobName, deliveryId: jobId }, committed),
              queue: (failure) => enqueue(retryDelayAfter(failure)),
            })
          }),
        )
        return
      }
      case 'verify': {
        const data: VerifyJob = { checkpointId: id, attempt: effect.attempt }
        await this.queues.add(VERIFY_QUEUE, id, 'verify', data, { ...VERIFY_JOB, jobId: jobIds.verify(id, effect.attempt) })
        return
      }
      case 'schedule': {
        const data: TimerJob = { id, at: effect.at }
        const delay = Math.max(0, effect.at - this.clock())
        await this.queues.add(TIMERS_QUEUE, id, timerJobName(effect.timer), data, { delay, jobId: jobIds.timer(id, effect.timer, effect.at) })
        return
      }
      case 'cancelTimer': {
        // Removing is housekeeping: a timer that fires anyway is ignored by the machine. It is
        // still cheaper than letting it fire (measured: 12 commands now against 52
        // at its due time, plus its job kept until then). A timer job has no children to look for.
        await this.queues
          .forCheckpoint(TIMERS_QUEUE, id)
          .remove(jobIds.timer(id, effect.timer, effect.at), { removeChildren: false })
          .catch(() => 0)
        return
      }
      case 'resume': {
        if (!request.resume) return
        const data: ResumeJob = { checkpointId: id, state: effect.state }
        const enqueue = (job: ResumeJob, delay?: number) => this.queues.add(RESUME_QUEUE, id, effect.state, job, { ...RESUME_JOB, ...(delay !== undefined && { delay }), jobId: jobIds.resume(id) })
        if (!this.first?.mayResume(resumeTargetOf(request))) return enqueue(data)
        inline.push({
          kind: 'resume',
          checkpointId: id,
          // Right after the commit that finished the checkpoint, no earlier resume can exist.
          attempt: (deps) => attemptResume(deps, { checkpointId: id, attempt: 1, fresh: committed !== undefined }, committed),
          queue: (failure) =>
            failure === undefined ? enqueue(data) : enqueue({ ...data, prior: 1 }, failure instanceof TooSlow ? TOO_SLOW_RETRY_MS : resumeBackoffMs(1, this.resumeFirstDelayMs)),
        })
        return
      }
    }
  }
}
