import type { Channel } from './channel.js'

/** The channels this process can deliver through; a channel without credentials is absent. */
export class ChannelRegistry {
  private readonly channels = new Map<string, Channel>()

  constructor(channels: Channel[] = []) {
    channels.forEach((c) => this.register(c))
  }

  register(channel: Channel): void {
    this.channels.set(channel.name, channel)
  }

  get(name: string): Channel | undefined {
    return this.channels.get(name)
  }

  names(): Set<string> {
    return new Set(this.channels.keys())
  }
}
