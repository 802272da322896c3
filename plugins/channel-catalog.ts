import { channelOfRecipient } from '../engine/create-spec.js'
import type { HandleRule } from '../engine/directory.js'
import type { RecipientRules } from '../engine/validate-create.js'
import type { ChannelDescriptor, Plugin } from './plugin.js'

/** `group:<name>`: a named set of people from the directory, expanded at delivery time. */
const GROUP = { pattern: /^group:[\w.-]{1,64}$/, forms: ['group:<name>'] }

/**
 * The registered channels, as the rest of Holdpoint sees them: recipient syntax for create
 * and reassign, handle rules for the directory, a descriptor for the dashboard. Registered
 * but not configured channels are known (a clear "not enabled" error) but not enabled.
 */
export class ChannelCatalog implements RecipientRules {
  private readonly byName: Map<string, Plugin>

  constructor(
    plugins: readonly Plugin[],
    private readonly enabledNames: ReadonlySet<string>,
  ) {
    this.byName = new Map(plugins.filter((p) => p.channel !== undefined).map((p) => [p.name, p]))
  }

  /** Enabled channels plus `group`, which expands to members' enabled handles. */
  enabled(): ReadonlySet<string> {
    return new Set([...[...this.byName.keys()].filter((n) => this.enabledNames.has(n)), 'group'])
  }

  problem(recipient: string): string | null {
    if (GROUP.pattern.test(recipient)) return null
    const plugin = this.byName.get(channelOfRecipient(recipient))
    if (!plugin?.channel) return `expected ${this.forms().join(', ')}`
    return plugin.channel.recipients.pattern.test(recipient) ? null : `expected ${plugin.channel.recipients.forms.join(' or ')}`
  }

  normalize(recipient: string): string {
    return this.byName.get(channelOfRecipient(recipient))?.channel?.recipients.normalize?.(recipient) ?? recipient
  }

  /** Every way of writing a recipient, for error messages. */
  forms(): string[] {
    return [...[...this.byName.values()].flatMap((p) => p.channel?.recipients.forms ?? []), ...GROUP.forms]
  }

  handleRules(): HandleRule[] {
    return [...this.byName.values()].flatMap((p) => (p.channel?.handles ?? []).map((h) => ({ ...h, channel: p.name })))
  }

  describe(): ChannelDescriptor[] {
    return [...this.byName.values()].map((p) => ({
      name: p.name,
      enabled: this.enabledNames.has(p.name),
      forms: p.channel?.recipients.forms ?? [],
      handles: (p.channel?.handles ?? []).map(({ field, label, placeholder }) => ({ field, label, placeholder })),
    }))
  }
}
