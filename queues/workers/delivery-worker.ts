import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import { RetryAfterError } from '../../plugins/channel.js'
import type { DeliverJob } from '../../plugins/job-data.js'
import { deliveryQueue } from '../../plugins/queue-names.js'
import { attemptDelivery } from '../attempts/delivery-attempt.js'
import { FinalFailure } from '../attempts/final-failure.js'
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
    try {
      return await attemptDelivery(deps, { checkpointId, recipient, kind: job.name, deliveryId: job.id ?? `${checkpointId}.${recipient}` })
    } catch (error) {
      if (error instanceof RetryAfterError && token) {
        // The provider set the pace: wait exactly that long without spending an attempt.
        await job.moveToDelayed(Date.now() + error.retryAfterMs, token)
        throw new DelayedError()
      }
      if (error instanceof FinalFailure) throw new UnrecoverableError(error.message)
      throw error
    }
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
