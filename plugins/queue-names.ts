import type { Plugin } from './plugin.js'

/**
 * BullMQ queue names. All queues live under BullMQ's `prefix` = HOLDPOINT_KEY_PREFIX.
 * `checkpoints` is the public intake queue named in api.md; the rest are internal.
 */
export const INTAKE_QUEUE = 'checkpoints'
export const TIMERS_QUEUE = 'timers'
export const RESUME_QUEUE = 'resume'
export const VERIFY_QUEUE = 'verify'
export const CORE_QUEUES: readonly string[] = [INTAKE_QUEUE, TIMERS_QUEUE, RESUME_QUEUE, VERIFY_QUEUE]

/** Each channel delivers from its own queue, so a slow provider holds up only its own sends. */
export function deliveryQueue(channel: string): string {
  return `deliver-${channel}`
}

/** Every queue a deployment with these plugins owns: core, one delivery queue per channel, the plugins' own. */
export function queueNames(plugins: readonly Plugin[]): string[] {
  const channels = plugins.filter((p) => p.channel !== undefined).map((p) => deliveryQueue(p.name))
  return [...new Set([...CORE_QUEUES, ...channels, ...plugins.flatMap((p) => p.queues)])]
}

export { channelOfRecipient } from '../engine/create-spec.js'
