import { randomBytes } from 'node:crypto'
import type { FakeConnector, FakeMember } from './fake-connector.js'

/**
 * Activities as Teams posts them to a bot, signed by the fake Bot Framework, and the poster
 * that sends them to Holdpoint's `/teams/messages`.
 */
export const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
export const TEAM = '19:team-general@thread.tacv2'
export const CHANNEL = '19:approvals-channel@thread.tacv2'

const newId = () => `f:${randomBytes(8).toString('hex')}`

export interface Poster {
  url: string
  fake: FakeConnector
}

export async function post(p: Poster, activity: Record<string, unknown>, token: string = p.fake.token()): Promise<{ status: number; body: any }> {
  const res = await fetch(`${p.url}/teams/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(activity),
  })
  const text = await res.text()
  return { status: res.status, body: text ? JSON.parse(text) : null }
}

function base(p: Poster, from: FakeMember, conversation: Record<string, unknown>) {
  return {
    id: newId(),
    channelId: 'msteams',
    serviceUrl: p.fake.serviceUrl,
    timestamp: new Date().toISOString(),
    from: { id: from.id, name: from.name, aadObjectId: from.aadObjectId },
    recipient: { id: `28:${p.fake.appId}`, name: 'Holdpoint' },
    conversation: { tenantId: TENANT, ...conversation },
    channelData: { tenant: { id: TENANT } },
  }
}

export function teamInstall(p: Poster, by: FakeMember, channel = CHANNEL) {
  return {
    ...base(p, by, { id: channel, conversationType: 'channel', isGroup: true }),
    type: 'installationUpdate',
    action: 'add',
    channelData: { tenant: { id: TENANT }, team: { id: TEAM, name: 'Ops' }, channel: { id: channel } },
  }
}

export const personalChat = (who: FakeMember) => `a:personal-${who.name}`

export function personalInstall(p: Poster, who: FakeMember) {
  return { ...base(p, who, { id: personalChat(who), conversationType: 'personal' }), type: 'installationUpdate', action: 'add' }
}

export function appRemoved(p: Poster, by: FakeMember, channel = CHANNEL) {
  return { ...teamInstall(p, by, channel), action: 'remove' }
}

/** An `Action.Execute` on the card the bot posted as `cardId`, in a channel thread or a personal chat. */
export function execute(p: Poster, who: FakeMember, where: { channel: string } | { personal: true }, cardId: string, data: Record<string, unknown>) {
  const conversation = 'channel' in where ? { id: `${where.channel};messageid=${cardId}`, conversationType: 'channel', isGroup: true } : { id: personalChat(who), conversationType: 'personal' }
  return {
    ...base(p, who, conversation),
    type: 'invoke',
    name: 'adaptiveCard/action',
    replyToId: cardId,
    value: { action: { type: 'Action.Execute', verb: 'holdpoint', data }, trigger: 'manual' },
    ...('channel' in where && { channelData: { tenant: { id: TENANT }, team: { id: TEAM }, channel: { id: where.channel } } }),
  }
}
