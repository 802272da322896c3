import { dashboardChannelPlugin } from '../channels/dashboard/plugin.js'
import { emailPlugin } from '../channels/email/plugin.js'
import { pushPlugin } from '../channels/push/plugin.js'
import { slackPlugin } from '../channels/slack/plugin.js'
import { teamsPlugin } from '../channels/teams/plugin.js'
import { telegramPlugin } from '../channels/telegram/plugin.js'
import { dashboardUiPlugin } from '../http/dashboard/module.js'
import type { Plugin } from '../plugins/plugin.js'
import { resumeTargetsPlugin } from '../resume/plugin.js'
import { bullBoardPlugin } from './bull-board.js'
import { inspectorPlugin } from './inspector.js'

/**
 * Every plugin, in mount order: one line registers a channel. The dashboard channel is always
 * on; each other plugin is off until its configuration is present. (Verification is added by
 * the runtime around the process's one VerifierSet.)
 */
export const PLUGINS: readonly Plugin[] = [dashboardChannelPlugin, bullBoardPlugin, dashboardUiPlugin, emailPlugin, slackPlugin, telegramPlugin, teamsPlugin, pushPlugin, resumeTargetsPlugin, inspectorPlugin]
