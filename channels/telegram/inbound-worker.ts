import { DelayedError, UnrecoverableError, Worker, type Job } from 'bullmq'
import type { Api } from 'node-telegram-bot-api'
import type { Logger } from 'pino'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'
import { workerOptions } from '../../plugins/worker-options.js'
import { callBot } from './bot-api.js'
import { INBOUND_QUEUE, type AnswerCall, type InboundUpdate } from './inbound-queue.js'
import type { TelegramPoller } from './poller.js'
import { handleUpdate, type UpdateHandlerDeps } from './update-handler.js'

/**
 * Runs the Telegram queue in worker processes: `update` jobs (one per update_id), `call`
 * jobs (Bot API calls answering people, paced by Telegram's retry_after), and `poll` jobs
 * in polling mode.
 */
export interface InboundWorkerDeps {
  api: Api
  handler: UpdateHandlerDeps
  poller: TelegramPoller | null
  connection: Worker['opts']['connection']
  prefix: string
  lockMs: number
  logger: Logger
}

export function createInboundWorker(deps: InboundWorkerDeps): Worker {
  const log = deps.logger.child({ queue: INBOUND_QUEUE })

  async function call(job: Job<AnswerCall>, token?: string): Promise<string> {
    try {
      await callBot(job.data.method, () => deps.api.answerCallbackQuery(job.data.params))
      return 'answered'
    } catch (error) {
      if (error instanceof RetryAfterError && token) {
        await job.moveToDelayed(Date.now() + error.retryAfterMs, token)
        throw new DelayedError()
      }
      // A callback query that is too old cannot be answered any more: retrying will not help.
      if (error instanceof PermanentDeliveryError) throw new UnrecoverableError(error.message)
      throw error
    }
  }

  const worker = new Worker(
    INBOUND_QUEUE,
    async (job: Job, token?: string): Promise<string> => {
      switch (job.name) {
        case 'update':
          return handleUpdate(deps.handler, job.data as InboundUpdate)
        case 'call':
          return call(job as Job<AnswerCall>, token)
        case 'poll':
          return deps.poller ? deps.poller.pollOnce() : 'polling is off'
        default:
          throw new UnrecoverableError(`unknown telegram job ${job.name}`)
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 10, ...workerOptions(deps.lockMs) },
  )
  worker.on('failed', (job, error) => {
    if (job) log.warn({ jobId: job.id, name: job.name, attempt: job.attemptsMade, err: error.message }, 'telegram job failed')
  })
  worker.on('error', (error) => log.error({ err: error.message }, 'telegram worker error'))
  return worker
}
