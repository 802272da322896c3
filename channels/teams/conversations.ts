import type { ConversationReference } from 'botbuilder'
import type { KeySpace } from '../../plugins/plugin.js'
import { baseConversationId, type TeamsTarget } from './recipients.js'

/**
 * Where the bot can speak: the conversation references Teams hands us when the app is
 * installed in a team or a personal chat (and on any later activity there), kept in Redis so
 * every worker can send proactive messages. A person is found by AAD object id and, when
 * Teams told us, by user principal name; both point at their personal chat.
 */
export class Conversations {
  constructor(private readonly keys: KeySpace) {}

  private conversationKey(id: string) {
    return this.keys.key('teams', 'conversation', id)
  }
  private personKey(handle: string) {
    return this.keys.key('teams', 'person', handle.toLowerCase())
  }
  private principalKey(aadObjectId: string) {
    return this.keys.key('teams', 'upn', aadObjectId.toLowerCase())
  }

  /** Keeps a channel's or chat's reference (the reply-chain suffix dropped). */
  async remember(reference: Partial<ConversationReference>): Promise<void> {
    const conversation = reference.conversation
    if (!conversation?.id || !reference.serviceUrl) return
    const id = baseConversationId(conversation.id)
    const stored: Partial<ConversationReference> = { ...reference, conversation: { ...conversation, id } }
    delete stored.activityId
    delete stored.user
    await this.keys.redis.set(this.conversationKey(id), JSON.stringify(stored))
  }

  /** A person's personal chat with the bot, under their object id and principal name. */
  async rememberPerson(conversationId: string, aadObjectId: string, userPrincipalName?: string): Promise<void> {
    const tx = this.keys.redis.multi().set(this.personKey(aadObjectId), conversationId)
    if (userPrincipalName) tx.set(this.personKey(userPrincipalName), conversationId).set(this.principalKey(aadObjectId), userPrincipalName.toLowerCase())
    await tx.exec()
  }

  async rememberPrincipal(aadObjectId: string, userPrincipalName: string): Promise<void> {
    await this.keys.redis.set(this.principalKey(aadObjectId), userPrincipalName.toLowerCase())
  }

  async principalName(aadObjectId: string): Promise<string | null> {
    return this.keys.redis.get(this.principalKey(aadObjectId))
  }

  /** The app was removed: nothing more is sent there (deliveries fail as permanent). */
  async forget(conversationId: string): Promise<void> {
    await this.keys.redis.del(this.conversationKey(baseConversationId(conversationId)))
  }

  async reference(conversationId: string): Promise<Partial<ConversationReference> | null> {
    const raw = await this.keys.redis.get(this.conversationKey(baseConversationId(conversationId)))
    return raw ? (JSON.parse(raw) as Partial<ConversationReference>) : null
  }

  async forTarget(target: TeamsTarget): Promise<Partial<ConversationReference> | null> {
    if (target.kind === 'channel') return this.reference(target.conversationId)
    const conversationId = await this.keys.redis.get(this.personKey(target.handle))
    return conversationId ? this.reference(conversationId) : null
  }
}
