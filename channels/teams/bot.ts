import { CloudAdapter, ConfigurationBotFrameworkAuthentication, type Activity, type ConversationReference, type InvokeResponse, type TurnContext } from 'botbuilder'
import type { AuthenticateRequestResult, BotFrameworkAuthentication, ConnectorClient } from 'botframework-connector'
import { BOT_FRAMEWORK_SCOPE, ClientCredentialsFactory } from './token-client.js'

/**
 * The Bot Framework SDK, set up for one Teams bot. Inbound activities are authenticated by
 * the SDK (signature against the keys at TEAMS_OPENID_METADATA_URL, issuer, audience = app
 * id, serviceUrl claim); outbound calls carry tokens from TEAMS_LOGIN_URL. Proactive sends
 * go through `continueConversationAsync` on a stored conversation reference.
 */
export interface BotSettings {
  appId: string
  password: string
  tenantId: string | undefined
  openIdMetadataUrl: string
  loginUrl: string
}

/** The only issuer whose tokens this endpoint takes: the Bot Framework channel service. */
export const CHANNEL_ISSUER = 'https://api.botframework.com'
const EMULATOR_OPENID_METADATA_URL = 'https://login.microsoftonline.com/botframework.com/v2.0/.well-known/openid-configuration'

/** CloudAdapter with authentication and processing as two steps, so the route owns the 401. */
class TeamsAdapter extends CloudAdapter {
  constructor(private readonly auth: BotFrameworkAuthentication) {
    super(auth)
  }

  authenticate(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.auth.authenticateRequest(activity, authHeader)
  }

  run(result: AuthenticateRequestResult, activity: Activity, logic: (turn: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.processActivity(result, activity, logic)
  }
}

export class TeamsBot {
  readonly appId: string
  readonly credentials: ClientCredentialsFactory
  private readonly adapter: TeamsAdapter

  constructor(settings: BotSettings) {
    this.appId = settings.appId
    const tenant = settings.tenantId ?? 'botframework.com'
    this.credentials = new ClientCredentialsFactory({ appId: settings.appId, password: settings.password, tenant, loginUrl: settings.loginUrl })
    const auth = new ConfigurationBotFrameworkAuthentication(
      {
        MicrosoftAppId: settings.appId,
        MicrosoftAppType: settings.tenantId ? 'SingleTenant' : 'MultiTenant',
        ...(settings.tenantId && { MicrosoftAppTenantId: settings.tenantId }),
        // Setting any endpoint makes the SDK take all of them as given, so all are named.
        ToBotFromChannelOpenIdMetadataUrl: settings.openIdMetadataUrl,
        ToBotFromChannelTokenIssuer: CHANNEL_ISSUER,
        ToBotFromEmulatorOpenIdMetadataUrl: EMULATOR_OPENID_METADATA_URL,
        ToChannelFromBotLoginUrl: `${settings.loginUrl.replace(/\/+$/, '')}/${tenant}`,
        ToChannelFromBotOAuthScope: BOT_FRAMEWORK_SCOPE,
        OAuthUrl: 'https://api.botframework.com',
        CallerId: 'urn:botframework:azure',
      },
      this.credentials,
    )
    this.adapter = new TeamsAdapter(auth)
  }

  authenticate(activity: Activity, authHeader: string): Promise<AuthenticateRequestResult> {
    return this.adapter.authenticate(activity, authHeader)
  }

  process(result: AuthenticateRequestResult, activity: Activity, logic: (turn: TurnContext) => Promise<void>): Promise<InvokeResponse | undefined> {
    return this.adapter.run(result, activity, logic)
  }

  /**
   * Posts an activity into a conversation (a new thread in a channel), or as a reply to
   * `replyToId`; returns the new activity's id. The connector is called directly because a
   * proactive turn's `sendActivity` would reply to the synthetic continuation event.
   */
  async send(reference: Partial<ConversationReference>, activity: Partial<Activity>, replyToId?: string): Promise<string> {
    const conversationId = reference.conversation?.id
    if (!conversationId) throw new Error('a conversation reference without a conversation')
    let id: string | undefined
    await this.adapter.continueConversationAsync(this.appId, reference, async (turn) => {
      const client = turn.turnState.get<ConnectorClient>(this.adapter.ConnectorClientKey)
      const full = { ...activity, channelId: reference.channelId, serviceUrl: reference.serviceUrl, conversation: reference.conversation, from: reference.bot } as Activity
      const sent = replyToId ? await client.conversations.replyToActivity(conversationId, replyToId, full) : await client.conversations.sendToConversation(conversationId, full)
      id = sent.id
    })
    if (!id) throw new Error('Teams accepted the message without an activity id')
    return id
  }

  /** Replaces an activity the bot posted earlier (the card, for everyone who sees it). */
  async update(reference: Partial<ConversationReference>, activity: Partial<Activity> & { id: string }): Promise<void> {
    await this.adapter.continueConversationAsync(this.appId, reference, async (turn) => {
      await turn.updateActivity(activity)
    })
  }

  /** A token for the bot's outbound calls, for `holdpoint doctor`. */
  async checkToken(): Promise<void> {
    await this.credentials.credentialsFor(BOT_FRAMEWORK_SCOPE).token()
  }
}
