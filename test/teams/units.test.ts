import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TeamsBot } from '../../channels/teams/bot.js'
import { classifyConnectorError } from '../../channels/teams/connector-errors.js'
import { teamsDoctor } from '../../channels/teams/doctor.js'
import { normalizeRecipient, parseRecipient, RECIPIENT_PATTERN } from '../../channels/teams/recipients.js'
import { escapeMarkdown } from '../../channels/teams/render/text.js'
import { PermanentDeliveryError, RetryAfterError } from '../../plugins/channel.js'
import { FakeConnector } from './fake-connector.js'
import { TENANT } from './teams-activities.js'

describe('markdown escaping', () => {
  it('shows formatting characters literally and breaks date functions', () => {
    expect(escapeMarkdown('**bold** _it_ [x](http://e) `code` ~s~ <b>')).toBe('\\*\\*bold\\*\\* \\_it\\_ \\[x\\](http://e) \\`code\\` \\~s\\~ \\<b\\>')
    expect(escapeMarkdown('- item\n1. first\n> quote\n# head')).toBe('\\- item\n1\\. first\n\\> quote\n\\# head')
    expect(escapeMarkdown('{{DATE(2020-01-01T00:00:00Z)}}')).not.toContain('{{')
    expect(escapeMarkdown('refund 250.00 - fine')).toBe('refund 250.00 - fine')
  })
})

describe('recipients', () => {
  it('reads channels and both personal forms, lower-casing the personal ones', () => {
    const aad = randomUUID().toUpperCase()
    expect(parseRecipient('teams:channel:19:abc@thread.tacv2')).toEqual({ kind: 'channel', conversationId: '19:abc@thread.tacv2' })
    expect(normalizeRecipient(`teams:${aad}`)).toBe(`teams:${aad.toLowerCase()}`)
    expect(normalizeRecipient('teams:Ana@Contoso.com')).toBe('teams:ana@contoso.com')
    for (const bad of ['teams:', 'teams:ana', 'teams:channel:19:x;messageid=1', 'teams:channel:', 'slack:U1']) expect(RECIPIENT_PATTERN.test(bad), bad).toBe(false)
  })
})

describe('connector errors', () => {
  const error = (statusCode: number, retryAfter?: string) => Object.assign(new Error('x'), { statusCode, response: { headers: new Map(retryAfter ? [['retry-after', retryAfter]] : []) } })
  it('maps 429 to the queue, removed apps to permanent failures, the rest to retries', () => {
    expect(classifyConnectorError(error(429, '3'), 'send')).toEqual(new RetryAfterError(3000))
    expect(classifyConnectorError(error(429), 'send')).toBeInstanceOf(RetryAfterError)
    for (const status of [403, 404]) expect(classifyConnectorError(error(status), 'send')).toBeInstanceOf(PermanentDeliveryError)
    const other = classifyConnectorError(error(502), 'send')
    expect(other).not.toBeInstanceOf(PermanentDeliveryError)
    expect(other).not.toBeInstanceOf(RetryAfterError)
  })
})

describe('holdpoint doctor', () => {
  let fake: FakeConnector
  const appId = randomUUID()
  beforeAll(async () => {
    fake = await new FakeConnector(appId).start()
  })
  afterAll(() => fake.close())
  const bot = (password: string) => new TeamsBot({ appId, password, tenantId: TENANT, openIdMetadataUrl: `${fake.url}/openid`, loginUrl: fake.url })

  it('proves the credentials with a token, and names the problem without the secret when they are wrong', async () => {
    expect(await teamsDoctor(bot('bot-password'))).toMatchObject({ name: 'teams', ok: true })
    const bad = await teamsDoctor(bot('wrong-secret'))
    expect(bad).toMatchObject({ ok: false })
    expect(bad.detail).toContain('401')
    expect(JSON.stringify(bad)).not.toContain('wrong-secret')
  })
})
