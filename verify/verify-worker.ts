import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq'
import type { Logger } from 'pino'
import type { Engine } from '../engine/engine.js'
import { CheckpointNotFound, EventRefused } from '../engine/errors.js'
import { valueProblems } from '../engine/json-schema.js'
import type { VerifyJob } from '../plugins/job-data.js'
import { VERIFY_QUEUE } from '../plugins/queue-names.js'
import { VerifierMisconfigured, VerifierUnavailable } from './verdict.js'
import type { VerifierSet } from './verifier-set.js'
import { verifyInputOf } from './verify-input.js'

export interface VerifyWorkerOptions {
  engine: Engine
  verifiers: VerifierSet
  connection: ConnectionOptions
  prefix: string
  lockMs: number
  logger: Logger
}

const SYSTEM_VERIFIER = { channel: 'system' as const, actor: 'verifier' }

/**
 * Consumes the `verify` queue: asks the checkpoint's verifier about the pending answer and
 * feeds its verdict to the machine. Only a verdict counts as an attempt. An outage, a 429
 * or a malformed reply throws, so BullMQ retries with backoff (a 429 waits exactly its
 * Retry-After without spending a retry); a verdict for an attempt that has moved on is
 * ignored by the machine.
 */
export function createVerifyWorker(opts: VerifyWorkerOptions): Worker<VerifyJob> {
  const { engine, verifiers } = opts
  const log = opts.logger.child({ queue: VERIFY_QUEUE })

  async function verifyOnce(job: Job<VerifyJob>): Promise<string> {
    const { checkpointId, attempt } = job.data
    const cp = await engine.get(checkpointId)
    if (!cp) return 'checkpoint gone'
    const input = verifyInputOf(cp, attempt)
    if (!input || cp.persisted.context.attempts + 1 !== attempt) return 'stale: no answer waiting for this attempt'
    const spec = cp.request.verify!
    const verifier = verifiers.get(spec.provider)
    if (!verifier) throw new VerifierMisconfigured(`the ${spec.provider} verifier is not configured in this worker`)
    const verdict = await verifier.verify(input, { ...(spec.model !== undefined && { model: spec.model }), ...(spec.url !== undefined && { url: spec.url }) })
    if (verdict.response !== undefined && verdict.passed) {
      const problems = await valueProblems(cp.request.responseSchema, verdict.response, '/response')
      // A corrected answer that breaks the agent's schema is a faulty verifier, not a decision.
      if (problems.length > 0) throw new VerifierUnavailable(`the verifier's corrected answer does not fit responseSchema (${problems.length} problem(s))`)
    }
    try {
      const after = await engine.send(checkpointId, (now) => ({
        type: 'checkpoint.verdict',
        now,
        attempt,
        passed: verdict.passed,
        reason: verdict.reason,
        ...(verdict.passed && verdict.response !== undefined && { response: verdict.response }),
        ...(verdict.model !== undefined && { model: verdict.model }),
      }), {}, cp)
      log.info({ checkpointId, attempt, passed: verdict.passed, provider: spec.provider, state: after.state }, 'verdict recorded')
      return verdict.passed ? 'passed' : 'failed'
    } catch (error) {
      if (error instanceof EventRefused || error instanceof CheckpointNotFound) return 'stale: the checkpoint moved on'
      throw error
    }
  }

  async function processJob(job: Job<VerifyJob>, token?: string): Promise<string> {
    try {
      return await verifyOnce(job)
    } catch (error) {
      if (error instanceof VerifierUnavailable && error.retryAfterMs !== null && token) {
        // The provider set the pace: wait that long without spending one of the job's retries.
        await job.moveToDelayed(Date.now() + Math.max(250, error.retryAfterMs), token)
        throw new DelayedError()
      }
      if (error instanceof VerifierMisconfigured) throw new UnrecoverableError(error.message)
      throw error
    }
  }

  const worker = new Worker<VerifyJob>(VERIFY_QUEUE, processJob, {
    connection: opts.connection,
    prefix: opts.prefix,
    lockDuration: opts.lockMs,
    stalledInterval: opts.lockMs,
    maxStalledCount: 5,
    concurrency: 10,
  })
  worker.on('failed', (job, error) => {
    if (!job || error instanceof DelayedError) return
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError
    log.warn({ checkpointId: job.data.checkpointId, attempt: job.data.attempt, tries: job.attemptsMade, final, err: error.message }, 'verification did not run')
    if (!final) return
    // The answer stays pending until the deadline; the audit says why no verdict came.
    void engine
      .note(job.data.checkpointId, { kind: 'verify.failed', actor: SYSTEM_VERIFIER, data: { attempt: job.data.attempt, tries: job.attemptsMade, reason: error.message, final: true } })
      .catch((e: unknown) => log.error({ err: (e as Error).message, checkpointId: job.data.checkpointId }, 'could not audit a failed verification'))
  })
  worker.on('error', (error) => log.error({ err: error.message }, 'verify worker error'))
  return worker
}
