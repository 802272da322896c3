import { dashboardModule } from '../http/dashboard/module.js'
import { emailModule } from '../channels/email/email-module.js'
import { telegramModule } from '../channels/telegram/telegram-module.js'
import { slackModule } from '../channels/slack/module.js'
import { resumeTargetsModule } from '../resume/resume-targets-module.js'
import { verifyModule } from '../verify/verify-module.js'
import { bullBoardModule } from './bull-board.js'
import { inspectorModule } from './inspector.js'
import type { ModuleFactory } from './module.js'

/** Every optional module, in mount order. Each returns null when it is not configured. */
export const MODULES: ModuleFactory[] = [bullBoardModule, dashboardModule, emailModule, slackModule, telegramModule, resumeTargetsModule, verifyModule, inspectorModule]
