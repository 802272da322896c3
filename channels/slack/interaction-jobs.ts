import type { JobsOptions, Queue } from 'bullmq'
import { interactionId } from './dedupe.js'

/**
 * The `slack-interactions` queue: everything a Slack request asks for beyond the
 * acknowledgement. Job ids derive from the interaction's stable key, so a retried request
 * or a re-run step adds nothing new.
 */
export const SLACK_INTERACTIONS_QUEUE = 'slack-interactions'

export interface SlackUser {
  id: string
  name?: string
}

export type InteractionJob =
  /** A button or a submitted form: claim, release or answer, through the engine. */
  | {
      type: 'act'
      checkpointId: string
      user: SlackUser
      act: 'claim' | 'release' | 'answer' | 'confirm'
      /** Index of a one-click choice, recomputed from the schema at run time. */
      choice?: number
      /** `confirm`: the server-side proposal (a typed answer read from a thread reply). */
      proposal?: string
      /** A form's answer, already checked against the schema in the ack path. */
      response?: unknown
      channel: string | null
      /** The message (or thread parent) acted on: proves channel membership for broadcasts. */
      messageTs: string | null
      via: 'button' | 'form' | 'confirm'
    }
  /** "Approve all" on a batch message: the approval for every member the clicker may answer. */
  | { type: 'approve-all'; batchId: string; user: SlackUser; channel: string | null; messageTs: string | null }
  /** A refusal decided in the ack path (no event was sent): audit it, and tell the person if asked. */
  | {
      type: 'refuse'
      checkpointId: string
      user: SlackUser
      attempted: string
      reason: string
      channel: string | null
      messageTs: string | null
      /** What to tell the person privately (a refusal sentence, never request contents), or null. */
      tell: string | null
    }
  /** A plain-words reply in a checkpoint's thread. */
  | { type: 'reply'; checkpointId: string; recipient: string; channel: string; threadTs: string; user: SlackUser; text: string }
  /** Reads a typed answer from a reply's words and posts it for confirmation (channels/slack/free-text.ts). */
  | { type: 'extract'; checkpointId: string; recipient: string; channel: string; threadTs: string; userId: string; text: string }
  /** Sends: an ephemeral refusal, the "structured answer needed" thread reply. */
  | { type: 'ephemeral'; checkpointId: string; channel: string; userId: string; text: string }
  | { type: 'thread-answer'; checkpointId: string; recipient: string; channel: string; threadTs: string; userId: string; assigned: boolean }

export const INTERACTION_JOB: JobsOptions = { attempts: 8, backoff: { type: 'exponential', delay: 1_000 } }

export class InteractionQueue {
  constructor(private readonly queue: Queue) {}

  /** Adds a job whose id is derived from `key`: the same key twice is one job. */
  async add(job: InteractionJob, key: string): Promise<void> {
    await this.queue.add(job.type, job, { ...INTERACTION_JOB, jobId: interactionId(`${job.type}|${key}`) })
  }
}
