import type { Channel, DeliveryContext } from '../../plugins/channel.js'

export interface ChannelCall {
  kind: 'deliver' | 'update' | 'remind'
  recipient: string
  checkpointId: string
  state: string
  at: number
}

/**
 * A channel registered through the public Channel interface that records what the workers
 * ask of it: the routing tests look at who was told what, and when.
 */
export function recordingChannel(name: string): Channel & { calls: ChannelCall[] } {
  const calls: ChannelCall[] = []
  const record = (kind: ChannelCall['kind']) => (ctx: DeliveryContext) => {
    calls.push({ kind, recipient: ctx.recipient, checkpointId: ctx.checkpoint.id, state: ctx.checkpoint.state, at: Date.now() })
    return Promise.resolve()
  }
  return { name, calls, deliver: record('deliver'), update: record('update'), remind: record('remind') }
}
