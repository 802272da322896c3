import { randomBytes } from 'node:crypto'
import { mkdtemp, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { approvalSchema, type TestHoldpoint } from '../support/holdpoint.js'

/** Two agent tokens: `support-bot` (whom the policies name) and `other-bot`. */
export function twoTokens(): { env: Record<string, string>; support: string; other: string } {
  const support = randomBytes(18).toString('base64url')
  const other = randomBytes(18).toString('base64url')
  return { env: { HOLDPOINT_API_TOKENS: `support-bot:${support},other-bot:${other}` }, support, other }
}

export async function policyFile(policies: unknown): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hp-policies-'))
  const path = join(dir, 'policies.json')
  await writeFile(path, JSON.stringify(policies))
  return path
}

/** An authenticated JSON request with a given token. */
export async function call(hp: TestHoldpoint, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(hp.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

export const refund = (amountUsd: number, extra: Record<string, unknown> = {}) => ({
  task: `Refund $${amountUsd}?`,
  payload: { amountUsd, customerId: 'cus_1' },
  responseSchema: approvalSchema,
  ...extra,
})

export const smallRefunds = {
  id: 'small-refunds',
  tokens: ['support-bot'],
  when: { '<=': [{ var: 'payload.amountUsd' }, 50] },
  response: { approved: true, note: 'policy: small refunds' },
  note: 'policy: small refunds',
}
