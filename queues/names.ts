/**
 * BullMQ queue names. All queues live under BullMQ's `prefix` = HOLDPOINT_KEY_PREFIX.
 * `checkpoints` is the public intake queue named in api.md; the rest are internal.
 */
export const INTAKE_QUEUE = 'checkpoints'
export const TIMERS_QUEUE = 'timers'
export const RESUME_QUEUE = 'resume'
export const VERIFY_QUEUE = 'verify'
export const DELIVERY_CHANNELS = ['dashboard', 'slack', 'email', 'telegram'] as const
export type DeliveryChannel = (typeof DELIVERY_CHANNELS)[number]

export function deliveryQueue(channel: DeliveryChannel): string {
  return `deliver-${channel}`
}

/**
 * Queues that channel modules own (inbound work taken off the HTTP path). Named here, not
 * imported, so that queues/ does not depend on channels/; test/ops checks the names match.
 * Listed so that Bull Board and the queue metrics show them whether or not the channel is on.
 */
export const MODULE_QUEUES = ['slack-interactions', 'telegram-inbound'] as const

export const ALL_QUEUES: readonly string[] = [INTAKE_QUEUE, TIMERS_QUEUE, RESUME_QUEUE, VERIFY_QUEUE, ...DELIVERY_CHANNELS.map(deliveryQueue), ...MODULE_QUEUES]

export { channelOfRecipient } from '../engine/create-spec.js'

export function isDeliveryChannel(name: string): name is DeliveryChannel {
  return (DELIVERY_CHANNELS as readonly string[]).includes(name)
}
