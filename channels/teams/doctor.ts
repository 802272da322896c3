import type { DoctorCheck } from '../../plugins/plugin.js'
import type { TeamsBot } from './bot.js'

/** Asks the login endpoint for the bot's token: proves the app id, password and tenant. */
export async function teamsDoctor(bot: TeamsBot): Promise<DoctorCheck> {
  try {
    await bot.checkToken()
    return { name: 'teams', ok: true, detail: `app ${bot.appId} can get a Bot Framework token` }
  } catch (error) {
    return {
      name: 'teams',
      ok: false,
      detail: `no token for app ${bot.appId}: ${(error as Error).message}`,
      fix: 'check TEAMS_APP_ID, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID against the Azure Bot registration (docs/teams.md)',
    }
  }
}
