import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Channel } from '../../plugins/channel.js'
import { defaultUiDist } from '../../http/dashboard/module-paths.js'
import { startHoldpoint, type StartOptions, type TestHoldpoint } from '../support/holdpoint.js'

/**
 * Shared pieces of the dashboard tests: a Holdpoint whose first-run setup link is captured
 * from its announcements, and a cookie-keeping client for the dashboard's JSON API.
 */

/** Accepts every delivery, so tests can route to `email:` people without an SMTP server. */
export const inertEmailChannel: Channel = { name: 'email', deliver: () => Promise.resolve() }

export async function startDashboardHoldpoint(opts: StartOptions = {}): Promise<{ hp: TestHoldpoint; setupToken: string }> {
  const lines: string[] = []
  const hp = await startHoldpoint({ channels: [inertEmailChannel], ...opts, announce: (line) => lines.push(line) })
  const match = lines.map((l) => /\/setup\/([\w-]+)/.exec(l)).find(Boolean)
  if (!match?.[1]) throw new Error(`the dashboard printed no setup link; it printed: ${JSON.stringify(lines)}`)
  return { hp, setupToken: match[1] }
}

export function requireBuiltUi(): void {
  if (!existsSync(join(defaultUiDist(), 'index.html'))) {
    throw new Error('ui/dist is missing: run `npm run build` (npm ci does it) before the dashboard browser tests')
  }
}

export interface Reply {
  status: number
  body: any
  headers: Headers
  text: string
}

/** A browser-like client for /ui/api: keeps the session cookie and sends the CSRF header. */
export class DashClient {
  cookie = ''
  csrf = ''

  constructor(readonly base: string) {}

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
    const res = await fetch(this.base + path, {
      method,
      redirect: 'manual',
      headers: {
        ...(this.cookie && { cookie: this.cookie }),
        ...(method !== 'GET' && { 'content-type': 'application/json', 'x-csrf-token': this.csrf || 'anonymous' }),
        ...headers,
      },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    })
    const setCookie = res.headers.get('set-cookie')
    const session = setCookie && /hp_session=([^;]*)/.exec(setCookie)
    if (session) this.cookie = session[1] ? `hp_session=${session[1]}` : ''
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text ? JSON.parse(text) : null
    } catch {
      parsed = null
    }
    if (parsed && typeof parsed === 'object' && 'csrf' in parsed && typeof parsed.csrf === 'string') this.csrf = parsed.csrf
    return { status: res.status, body: parsed, headers: res.headers, text }
  }

  async login(login: string, password: string): Promise<Reply> {
    return this.req('POST', '/ui/api/login', { login, password })
  }
}

export const PASSWORD = 'correct horse battery'

/** First operator via the setup link, then reviewers with passwords via their invite links. */
export async function seedPeople(hp: TestHoldpoint, setupToken: string, reviewers: Array<{ name: string; email: string; groups?: string[] }>) {
  const operator = new DashClient(hp.url)
  const setup = await operator.req('POST', '/ui/api/setup', { token: setupToken, name: 'Olga Operator', email: 'olga@example.com', password: PASSWORD })
  if (setup.status !== 200) throw new Error(`setup failed: ${setup.status} ${setup.text}`)
  const clients: Record<string, DashClient> = {}
  for (const r of reviewers) {
    const added = await operator.req('POST', '/ui/api/people', { name: r.name, email: r.email, groups: r.groups ?? [] })
    if (added.status !== 201) throw new Error(`adding ${r.name} failed: ${added.status} ${added.text}`)
    const token = String(added.body.inviteUrl).split('/setup/')[1]
    const client = new DashClient(hp.url)
    const done = await client.req('POST', '/ui/api/setup', { token, password: PASSWORD })
    if (done.status !== 200) throw new Error(`invite for ${r.name} failed: ${done.status} ${done.text}`)
    clients[r.email] = client
  }
  return { operator, clients }
}

export const refundSchema = {
  type: 'object',
  title: 'Refund decision',
  properties: {
    approved: { type: 'boolean', title: 'Approve the refund?' },
    amountUsd: { type: 'number', title: 'Amount to refund (USD)', minimum: 0, maximum: 250, description: 'Up to the charged amount.' },
    reason: { type: 'string', title: 'Reason', enum: ['duplicate', 'fraud', 'goodwill'] },
    note: { type: 'string', title: 'Note for the customer', maxLength: 500 },
  },
  required: ['approved', 'amountUsd'],
  additionalProperties: false,
}

export const refundRequest = (extra: Record<string, unknown> = {}) => ({
  task: 'Approve a $250 refund for cus_42?',
  payload: { amountUsd: 250, customerId: 'cus_42', reason: 'Duplicate charge', charges: [{ id: 'ch_1', amountUsd: 250 }, { id: 'ch_2', amountUsd: 250 }] },
  payloadSchema: {
    type: 'object',
    properties: {
      amountUsd: { type: 'number', title: 'Amount (USD)', description: 'What the customer asked back' },
      customerId: { type: 'string', title: 'Customer' },
      reason: { type: 'string', title: 'Customer says' },
    },
  },
  responseSchema: refundSchema,
  ...extra,
})
