import { Queue } from 'bullmq'
import { hashTagOf } from '../engine/key-slot.js'
import { isCluster, type RedisClient } from '../engine/redis-client.js'
import { ResumeRejected, type ResumeTarget } from '../plugins/resume-target.js'

/** BullMQ's own default prefix: what a service gets when it never set one. */
const BULLMQ_DEFAULT_PREFIX = 'bull'
/** Completed jobs are kept this long so a retried or re-driven resume adds no second job. */
const KEEP_COMPLETED_SECONDS = 24 * 60 * 60
const KEEP_FAILED_SECONDS = 14 * 24 * 60 * 60

export interface QueueTarget extends ResumeTarget {
  close(): Promise<void>
}

/**
 * `resume.queue`: adds one job to the agent's own BullMQ queue on Holdpoint's Redis. The job
 * is named after the event type, carries the resume event as data, and its id is the resume
 * message id, so a retry or re-drive finds the job already there instead of adding another.
 */
export function queueTarget(connection: RedisClient, holdpointPrefix: string, ownQueues: readonly string[]): QueueTarget {
  const queues = new Map<string, Queue>()
  const internal = new Set<string>(ownQueues)

  function queueFor(prefix: string, name: string): Queue {
    const key = `${prefix}\u0000${name}`
    let queue = queues.get(key)
    if (!queue) {
      queue = new Queue(name, { connection, prefix })
      // Errors surface through add(); this only keeps an idle connection error from crashing.
      queue.on('error', () => undefined)
      queues.set(key, queue)
    }
    return queue
  }

  return {
    name: 'queue',
    async resume(event, spec, { messageId }) {
      if (!('queue' in spec)) throw new Error('queueTarget called for another target')
      const prefix = spec.queue.prefix ?? BULLMQ_DEFAULT_PREFIX
      const { name } = spec.queue
      // BullMQ on a Cluster: every key of the queue in one slot, so its prefix needs a hash tag.
      if (isCluster(connection) && hashTagOf(`${prefix}:${name}:x`) === `${prefix}:${name}:x`) {
        throw new ResumeRejected(`on Redis Cluster the queue's prefix needs a hash tag, e.g. "{${prefix}}" (and the agent's worker the same prefix)`, { queue: name, prefix })
      }
      // An agent must not be able to feed Holdpoint's own queues (intake, timers, resume).
      if (prefix === holdpointPrefix && internal.has(name)) {
        throw new ResumeRejected(`queue ${name} is one of Holdpoint's own queues`, { queue: name, prefix })
      }
      const job = await queueFor(prefix, name).add(event.type, event, {
        jobId: messageId,
        removeOnComplete: { age: KEEP_COMPLETED_SECONDS },
        removeOnFail: { age: KEEP_FAILED_SECONDS },
      })
      return { detail: { queue: name, prefix, jobId: job.id ?? messageId } }
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()))
      queues.clear()
    },
  }
}
