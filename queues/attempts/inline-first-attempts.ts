import type { AttemptDeps } from './attempt-deps.js'
import { FinalFailure } from './final-failure.js'

/**
 * The first attempt of a delivery or a resume, made by the process that committed it, right
 * after the commit: no job, so none of BullMQ's per-job commands (about 58 per job on the
 * refund example: add, move to active, move to finished) and no hop through a queue before
 * the agent hears back. Only what fails becomes a job, with the same id and retry policy as
 * before, so retries, backoff, Bull Board and re-drives are unchanged (ARCHITECTURE.md, "First
 * attempts inline").
 *
 * The commit's outbox entry stays (leased away from the sweeper) until every inline attempt
 * succeeded, ended for good or became a job, so a crash in the middle leaves the effect to the
 * sweeper exactly as a crash before dispatch does.
 */
export interface InlineAttempt {
  kind: 'delivery' | 'resume'
  checkpointId: string
  attempt(deps: AttemptDeps): Promise<unknown>
  /**
   * Queues the effect's job; rejects if it cannot. `failure`: why the first attempt did not
   * succeed (a retry, with its backoff), or undefined when no slot was free and nothing was
   * attempted (the job runs at once, as it would have without inline attempts).
   */
  queue(failure?: unknown): Promise<void>
}

export type InlineOutcome = 'done' | 'queued' | 'final'

/** Past this, the job is queued anyway; the outbox lease lasts longer (`leaseMs`). */
export const INLINE_BUDGET_MS = 10_000

/**
 * A first attempt still running at its budget: the job it queues waits this long, so the slow
 * attempt most likely finished and left its mark (the email sent-mark, the `resumed` entry)
 * that the job then finds, rather than the job sending a second copy beside it.
 */
export const TOO_SLOW_RETRY_MS = 60_000

export class TooSlow extends Error {
  constructor() {
    super(`first attempt took over ${INLINE_BUDGET_MS / 1000} s`)
    this.name = 'TooSlow'
  }
}

export class InlineFirstAttempts {
  /**
   * How long the engine keeps the sweeper off an outbox entry whose attempts run here: the
   * budget, then time to queue the jobs of the ones that overran it.
   */
  readonly leaseMs = INLINE_BUDGET_MS + 5_000
  private deps: AttemptDeps | null = null
  private inFlight = 0
  private stopped = false
  private readonly running = new Set<Promise<void>>()

  constructor(
    /** Attempts in flight at once per process; beyond it effects become jobs (0: always jobs). */
    private readonly limit: number,
    private readonly observe: (attempt: InlineAttempt, outcome: InlineOutcome, error?: unknown) => void = () => undefined,
  ) {}

  /** Channels and resume targets exist once the plugins started; until then every effect is a job. */
  bind(deps: AttemptDeps): void {
    this.deps = deps
  }

  /** Whether this process could attempt a delivery through `channel` itself (room is taken when it runs). */
  mayDeliver(channel: string): boolean {
    return this.open() && this.deps?.channels.get(channel) !== undefined
  }

  /** Whether this process could attempt a resume through `target` itself. */
  mayResume(target: string): boolean {
    return this.open() && this.deps?.resumeTargets.has(target) === true
  }

  private open(): boolean {
    return !this.stopped && this.limit > 0
  }

  /**
   * Runs the attempts, each in a free slot or, when none is, straight to its job; settles when
   * each is done, final or queued. Slots are taken here, not when the dispatcher chose, so a
   * dispatch that never runs (its lease could not be written) holds none.
   */
  run(attempts: readonly InlineAttempt[]): Promise<void> {
    const deps = this.deps
    if (!deps) return Promise.reject(new Error('inline attempts are not bound'))
    const all = Promise.all(attempts.map((a) => (this.open() && this.inFlight < this.limit ? this.one(deps, a) : a.queue()))).then(() => undefined)
    this.running.add(all)
    void all.finally(() => this.running.delete(all)).catch(() => undefined)
    return all
  }

  /**
   * Shutdown: takes no new attempts (their effects become jobs at once) and waits for those in
   * flight; what is still running after `timeoutMs` is left to the sweeper.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopped = true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))
    await Promise.race([Promise.allSettled([...this.running]), timeout])
    clearTimeout(timer)
  }

  private async one(deps: AttemptDeps, a: InlineAttempt): Promise<void> {
    this.inFlight++
    let timer: NodeJS.Timeout | undefined
    try {
      const attempt = a.attempt(deps)
      // A late rejection after the budget ran out has nobody to tell.
      attempt.catch(() => undefined)
      const budget = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TooSlow()), INLINE_BUDGET_MS)))
      await Promise.race([attempt, budget])
      this.observe(a, 'done')
    } catch (error) {
      if (error instanceof FinalFailure) {
        this.observe(a, 'final', error)
        return
      }
      await a.queue(error)
      this.observe(a, 'queued', error)
    } finally {
      clearTimeout(timer)
      this.inFlight--
    }
  }
}
