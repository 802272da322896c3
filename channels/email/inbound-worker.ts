import { UnrecoverableError, Worker, type Job } from 'bullmq'
import type { Logger } from 'pino'
import { VerifierUnavailable } from '../../plugins/free-text-reader.js'
import { workerOptions } from '../../plugins/worker-options.js'
import { INBOUND_QUEUE, type InboundMessages, type MessageJob } from './inbound-queue.js'
import type { ImapReader } from './imap-reader.js'

/**
 * Runs the email queue in worker processes: `message` jobs through the reply pipeline, and
 * `poll` jobs reading the IMAP mailbox when one is configured.
 */
export interface InboundWorkerDeps {
  handle(raw: Buffer): Promise<string>
  messages: InboundMessages
  reader: ImapReader | null
  connection: Worker['opts']['connection']
  prefix: string
  lockMs: number
  logger: Logger
}

export function createInboundWorker(deps: InboundWorkerDeps): Worker {
  const log = deps.logger.child({ queue: INBOUND_QUEUE })
  const worker = new Worker(
    INBOUND_QUEUE,
    async (job: Job): Promise<string> => {
      switch (job.name) {
        case 'message': {
          const data = job.data as MessageJob
          if (data.sealed === null) return 'already handled'
          const result = await deps.handle(deps.messages.open(data))
          // The job stays (its id dedupes a re-read) but the message itself is no longer kept.
          await job.updateData({ ...data, sealed: null })
          return result
        }
        case 'poll':
          return deps.reader ? deps.reader.pollOnce() : 'IMAP is off'
        default:
          throw new UnrecoverableError(`unknown email job ${job.name}`)
      }
    },
    { connection: deps.connection, prefix: deps.prefix, concurrency: 4, ...workerOptions(deps.lockMs) },
  )
  worker.on('failed', (job, error) => {
    // The error's name only: a message's words or addresses never reach the log.
    if (job) log.warn({ jobId: job.id, name: job.name, attempt: job.attemptsMade, err: error instanceof VerifierUnavailable ? 'model unavailable' : error.name }, 'email job failed')
  })
  worker.on('error', (error) => log.error({ err: error.name }, 'email worker error'))
  return worker
}
