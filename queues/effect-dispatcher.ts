import type { EffectDispatcher } from '../engine/engine.js'
import type { OutboxEntry } from '../engine/checkpoint-store.js'
import type { StoredRequest } from '../engine/stored-request.js'
import type { Effect } from '../machine/types.js'
import { timerJobName, type DeliverJob, type ResumeJob, type TimerJob, type VerifyJob } from '../plugins/job-data.js'
import { BATCH_GATHER_MS } from './batch-gather.js'
import { jobIds } from './job-ids.js'
import { channelOfRecipient, deliveryQueue, RESUME_QUEUE, TIMERS_QUEUE, VERIFY_QUEUE } from '../plugins/queue-names.js'
import type { QueueSet } from './queue-set.js'
import { DELIVERY_JOB, RESUME_JOB, VERIFY_JOB } from './retry-policy.js'

/**
 * Turns an outbox entry into BullMQ jobs. Every job id is derived from the checkpoint and
 * the effect, so a second dispatch of the same entry adds nothing.
 */
/** Turns `group:<name>` into its members' handles on the channels this deployment runs. */
export type RecipientExpander = (recipients: readonly string[]) => Promise<string[]>

export const noGroups: RecipientExpander = (recipients) => Promise.resolve(recipients.filter((r) => !r.startsWith('group:')))

/** The dashboard: every runtime records its delivery in the commit that asks for it, so its queue never gets a job (no worker waits on it). */
export const INLINE_CHANNEL = 'dashboard'

export class BullmqEffectDispatcher implements EffectDispatcher {
  constructor(
    private readonly queues: QueueSet,
    private readonly clock: () => number = Date.now,
    private readonly expand: RecipientExpander = noGroups,
    /** Recipients the engine records as delivered in the commit that asks for them (the dashboard, EngineOptions.inlineRecipients): no job. */
    private readonly inline: ReadonlySet<string> = new Set(),
    /** Channels that send one message per batch (`Channel.deliverBatch`): only their batch members wait to gather. */
    private readonly gathersBatches: (channel: string) => boolean = () => false,
  ) {}

  async dispatch(entry: OutboxEntry, request: StoredRequest): Promise<void> {
    await Promise.all(entry.effects.map((effect) => this.one(entry, effect, request)))
  }

  private async one(entry: OutboxEntry, effect: Effect, request: StoredRequest): Promise<void> {
    const id = entry.checkpointId
    switch (effect.type) {
      case 'deliver':
      case 'remind':
      case 'publishUpdate': {
        const jobName = effect.type === 'publishUpdate' ? 'update' : effect.type
        // The dashboard is live through the commit's pub/sub message: it needs no update job,
        // and when its delivery is recorded by the commit, no delivery job either.
        const wanted = effect.type === 'deliver' ? effect.recipients.filter((r) => !this.inline.has(r)) : effect.recipients.filter((r) => r !== INLINE_CHANNEL)
        const recipients = await this.expand(wanted)
        await Promise.all(
          recipients.map(async (recipient) => {
            const channel = channelOfRecipient(recipient)
            const data: DeliverJob = { checkpointId: id, recipient }
            const jobId = jobIds[jobName](id, entry.version, recipient)
            // A batch member's request waits a moment for its siblings (queues/batch-gather.ts).
            const gather = jobName === 'deliver' && request.batch !== undefined && this.gathersBatches(channel) ? { delay: BATCH_GATHER_MS } : {}
            await this.queues.add(deliveryQueue(channel), id, jobName, data, { ...DELIVERY_JOB, ...gather, jobId })
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
        await this.queues.add(RESUME_QUEUE, id, effect.state, data, { ...RESUME_JOB, jobId: jobIds.resume(id) })
        return
      }
    }
  }
}
