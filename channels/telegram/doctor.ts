import type { DoctorCheck } from '../../plugins/plugin.js'

/** `getMe` with the bot token: proves the token and the API root both work. */
export async function telegramDoctor(apiRoot: string, token: string, mode: string): Promise<DoctorCheck> {
  const root = apiRoot.replace(/\/$/, '')
  try {
    const res = await fetch(`${root}/bot${token}/getMe`)
    const body = (await res.json()) as { ok?: boolean; description?: string; result?: { username?: string } }
    if (body.ok) return { name: 'telegram', ok: true, detail: `getMe ok (@${body.result?.username ?? '?'}, ${mode} mode)` }
    return { name: 'telegram', ok: false, detail: `getMe: ${body.description ?? `HTTP ${res.status}`}`, fix: 'set TELEGRAM_BOT_TOKEN to the token BotFather gave you, see docs/telegram.md' }
  } catch (error) {
    // The token is part of the URL: never echo the URL.
    return { name: 'telegram', ok: false, detail: `cannot reach the Bot API: ${(error as Error).message}`, fix: 'check TELEGRAM_API_ROOT and outbound network access' }
  }
}
