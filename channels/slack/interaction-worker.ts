import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq'
import type { Logger } from 'pino'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'
import { keepCompleted, workerOptions } from '../../plugins/worker-options.js'
import type { InteractionHandlers } from './interaction-handlers.js'
import { SLACK_INTERACTIONS_QUEUE, type InteractionJob } from './interaction-jobs.js'

export interface InteractionWorkerOptions {
  connection: ConnectionOptions
  prefix: string
  lockMs: number
  logger: Logger
}

/**
 * Runs interaction jobs with the same retry rules as deliveries: a 429 waits exactly
 * Retry-After without spending an attempt, a permanent Slack error stops, the rest back off.
 */
export function createInteractionWorker(handlers: InteractionHandlers, opts: InteractionWorkerOptions): Worker<InteractionJob> {
  const log = opts.logger.child({ queue: SLACK_INTERACTIONS_QUEUE })

  async function process(job: Job<InteractionJob>, token?: string): Promise<string> {
    try {
      return await handlers.run(job)
    } catch (error) {
      if (error instanceof RetryAfterError && token) {
        await job.moveToDelayed(Date.now() + error.retryAfterMs, token)
        throw new DelayedError()
      }
      if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message)
      throw error
    }
  }

  const worker = new Worker<InteractionJob>(SLACK_INTERACTIONS_QUEUE, process, {
    connection: opts.connection,
    prefix: opts.prefix,
    ...workerOptions(opts.lockMs),
    // A retried Slack request or a re-run step finds its job for an hour and adds nothing.
    ...keepCompleted(60 * 60),
    concurrency: 10,
  })
  worker.on('failed', (job, error) => {
    if (!job) return
    log.warn({ jobId: job.id, type: job.data.type, ...('checkpointId' in job.data && { checkpointId: job.data.checkpointId }), attempt: job.attemptsMade, err: error.message }, 'slack interaction job failed')
  })
  worker.on('error', (error) => log.error({ err: error.message }, 'slack interaction worker error'))
  return worker
}
