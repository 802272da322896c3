import type { DoctorCheck } from '../../plugins/plugin.js'

/** `auth.test` with the bot token: proves the token and the API base both work. */
export async function slackDoctor(apiUrl: string, token: string): Promise<DoctorCheck> {
  try {
    const res = await fetch(new URL('auth.test', apiUrl), { method: 'POST', headers: { authorization: `Bearer ${token}` } })
    const body = (await res.json()) as { ok?: boolean; error?: string; team?: string; user?: string }
    if (body.ok) return { name: 'slack', ok: true, detail: `auth.test ok (team ${body.team ?? '?'}, bot ${body.user ?? '?'})` }
    return { name: 'slack', ok: false, detail: `auth.test: ${body.error ?? `HTTP ${res.status}`}`, fix: 'set SLACK_BOT_TOKEN to the app’s Bot User OAuth Token (xoxb-…), see docs/slack.md' }
  } catch (error) {
    return { name: 'slack', ok: false, detail: `cannot reach ${apiUrl}: ${(error as Error).message}`, fix: 'check SLACK_API_URL and outbound network access' }
  }
}
