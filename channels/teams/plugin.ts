import { z } from 'zod'
import { definePlugin, type PluginParts } from '../../plugins/plugin.js'
import { onActivity } from './activities.js'
import { TeamsBot, type BotSettings } from './bot.js'
import { CardActions } from './card-actions.js'
import { Conversations } from './conversations.js'
import { teamsDoctor } from './doctor.js'
import { MessageRefs } from './message-refs.js'
import { AAD_OBJECT_ID, normalizeRecipient, RECIPIENT_PATTERN, UPN } from './recipients.js'
import { teamsRoutes, TEAMS_MESSAGES_PATH } from './routes.js'
import { TeamsChannel } from './teams-channel.js'

const env = z
  .object({
    TEAMS_APP_ID: z.string().trim().min(1).optional(),
    TEAMS_APP_PASSWORD: z.string().trim().min(1).optional(),
    TEAMS_TENANT_ID: z.string().trim().min(1).optional(),
    TEAMS_OPENID_METADATA_URL: z.url().default('https://login.botframework.com/v1/.well-known/openidconfiguration'),
    TEAMS_LOGIN_URL: z.url().default('https://login.microsoftonline.com'),
  })
  .superRefine((e, ctx) => {
    if ((e.TEAMS_APP_ID === undefined) !== (e.TEAMS_APP_PASSWORD === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['TEAMS_APP_PASSWORD'], message: 'TEAMS_APP_ID and TEAMS_APP_PASSWORD go together' })
    }
  })

type Settings = z.output<typeof env>

const botSettings = (s: Settings): BotSettings => ({
  appId: s.TEAMS_APP_ID ?? '',
  password: s.TEAMS_APP_PASSWORD ?? '',
  tenantId: s.TEAMS_TENANT_ID,
  openIdMetadataUrl: s.TEAMS_OPENID_METADATA_URL,
  loginUrl: s.TEAMS_LOGIN_URL,
})

const lower = (value: string) => value.toLowerCase()

/**
 * The Microsoft Teams channel: Adaptive Cards with Universal Actions, delivered proactively
 * to channels and personal chats where the app is installed (deliver-teams queue, workers),
 * and `POST /teams/messages` for installs and card actions (servers). Off unless both
 * TEAMS_APP_ID and TEAMS_APP_PASSWORD are set.
 */
export const teamsPlugin = definePlugin({
  name: 'teams',
  env,
  channel: {
    recipients: {
      pattern: RECIPIENT_PATTERN,
      forms: ['teams:channel:<conversation id>', 'teams:<AAD object id>', 'teams:<user principal name>'],
      normalize: normalizeRecipient,
    },
    handles: [
      {
        field: 'teamsId',
        label: 'Teams user (AAD object id or user principal name)',
        placeholder: 'ana@contoso.com',
        pattern: new RegExp(`(${AAD_OBJECT_ID.source})|(${UPN.source})`, 'i'),
        message: 'an AAD object id (a GUID) or a user principal name',
        normalize: lower,
        identities: (handle) => [`teams:${handle}`],
        recipient: (handle) => `teams:${handle}`,
        lookup: true,
      },
    ],
  },
  off: (s) => (s.TEAMS_APP_ID && s.TEAMS_APP_PASSWORD ? null : 'set TEAMS_APP_ID and TEAMS_APP_PASSWORD to enable it (docs/teams.md)'),
  doctor: (s) => teamsDoctor(new TeamsBot(botSettings(s))),
  start(s, ctx): PluginParts {
    const bot = new TeamsBot(botSettings(s))
    const conversations = new Conversations(ctx.keys)
    const refs = new MessageRefs(ctx.keys)
    const log = ctx.logger.child({ module: 'teams' })
    const parts: PluginParts = { channel: new TeamsChannel({ bot, conversations, refs }) }
    if (ctx.role.server) {
      const actions = new CardActions({ engine: ctx.engine, directory: ctx.directory, conversations, refs, keyring: ctx.keyring, publicUrl: ctx.publicUrl })
      parts.routes = teamsRoutes({ bot, keys: ctx.keys, bodyLimit: ctx.bodyLimit, logger: log, onActivity: (turn, replay) => onActivity({ conversations, actions, logger: log }, turn, replay) })
    }
    ctx.announce(`teams channel on: the Bot Framework posts to ${ctx.publicUrl}${TEAMS_MESSAGES_PATH}`)
    return parts
  },
})
