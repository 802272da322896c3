import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'
import { toView } from '../../engine/checkpoint-view.js'
import { EventRefused } from '../../engine/errors.js'
import { isTerminal } from '../../machine/types.js'
import type { DeliverJob } from '../../plugins/job-data.js'
import { channelOfRecipient, deliveryQueue } from '../../plugins/queue-names.js'
import { deliverInBatch } from './batch-delivery.js'
import { DROP_COMPLETED, workerOptions } from '../../plugins/worker-options.js'
import { queueAt, type WorkerDeps } from './worker-deps.js'

/**
 * One worker per channel queue, so a slow or failing channel never holds up the others.
 * `deliver` jobs send the request and record `delivered`; `update` jobs refresh a message.
 */
/** `queue`: the channel's delivery queue, or one of its sub-queues on a Cluster. */
export function createDeliveryWorker(channelName: string, deps: WorkerDeps, queue: string = deliveryQueue(channelName)): Worker<DeliverJob> {
  const { engine, logger } = deps
  const log = logger.child({ queue })

  async function processJob(job: Job<DeliverJob>, token?: string): Promise<string> {
    const { checkpointId, recipient } = job.data
    const cp = await engine.get(checkpointId)
    if (!cp) return 'checkpoint gone'
    if (job.name !== 'update' && isTerminal(cp.state)) return `skipped: already ${cp.state}`
    const channel = deps.channels.get(channelOfRecipient(recipient))
    if (!channel) throw new UnrecoverableError(`channel ${channelName} is not enabled in this worker`)
    const ctx = { checkpoint: toView(cp, deps.publicUrl), recipient, deliveryId: job.id ?? `${checkpointId}.${recipient}` }
    try {
      if (job.name === 'update') {
        await channel.update?.(ctx)
        return 'updated'
      }
      if (job.name === 'remind') {
        await (channel.remind ?? channel.update)?.call(channel, ctx)
        return 'reminded'
      }
      if (job.name === 'deliver') {
        const batched = await deliverInBatch({ engine, prefix: deps.prefix, publicUrl: deps.publicUrl }, channel, cp, recipient, ctx.deliveryId)
        // 'sent' and 'included' recorded the delivery of every member already.
        if (batched !== 'alone') return `delivered in batch (${batched})`
      }
      await channel.deliver(ctx)
    } catch (error) {
      if (error instanceof RetryAfterError && token) {
        // The provider set the pace: wait exactly that long without spending an attempt.
        await job.moveToDelayed(Date.now() + error.retryAfterMs, token)
        throw new DelayedError()
      }
      if (error instanceof PermanentDeliveryError) {
        await engine.note(checkpointId, {
          kind: 'delivery.failed',
          actor: { channel: 'system', actor: channelName },
          data: { recipient, reason: error.message, final: true },
        }, cp)
        throw new UnrecoverableError(error.message)
      }
      throw error
    }
    try {
      // The load this job began with is the first attempt's (a lost race reloads).
      await engine.send(checkpointId, (now) => ({ type: 'checkpoint.delivered', now, recipient }), {}, cp)
    } catch (error) {
      if (!(error instanceof EventRefused)) throw error
    }
    return 'delivered'
  }

  const worker = new Worker<DeliverJob>(queue, processJob, {
    ...queueAt(deps, queue),
    ...workerOptions(deps.jobLockMs),
    ...DROP_COMPLETED,
    concurrency: deps.concurrency ?? 20,
  })
  worker.on('failed', (job, error) => {
    if (!job) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError
    log.warn({ checkpointId: job.data.checkpointId, jobId: job.id, attempt: job.attemptsMade, final, err: error.message }, 'delivery failed')
    if (final && !(error instanceof UnrecoverableError)) {
      void engine
        .note(job.data.checkpointId, {
          kind: 'delivery.failed',
          actor: { channel: 'system', actor: channelName },
          data: { recipient: job.data.recipient, reason: error.message, attempts: job.attemptsMade, final: true },
        })
        .catch((e: unknown) => log.error({ err: e, checkpointId: job.data.checkpointId }, 'could not audit a failed delivery'))
    }
  })
  worker.on('error', (error) => log.error({ err: error }, 'delivery worker error'))
  return worker
}
