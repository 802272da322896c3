import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Directory, type HandleRule } from '../../engine/directory.js'
import { delegatedFrom } from '../../engine/delegated-from.js'
import { groupExpander } from '../../queues/group-expansion.js'
import { deleteKeys, randomPrefix, testRedisUrl } from '../support/holdpoint.js'

const HOUR = 3_600_000
const rules: HandleRule[] = [
  { channel: 'email', field: 'email', pattern: /@/, message: 'an address', identities: (v) => [`email:${v}`], recipient: (v) => `email:${v}`, lookup: true },
  { channel: 'chat', field: 'chatId', pattern: /^U\w+$/, message: 'a chat id', identities: (v) => [`chat:${v}`], recipient: (v) => `chat:${v}`, lookup: true },
]
const prefix = randomPrefix()
let redis: Redis
let now = Date.parse('2026-06-01T09:00:00Z')
let directory: Directory
const enabled = new Set(['email', 'chat', 'group'])

beforeAll(async () => {
  redis = new Redis(testRedisUrl())
  directory = new Directory(redis, prefix, rules, () => now)
  await directory.upsert({ id: 'ana', name: 'Ana', email: 'ana@example.com', chatId: 'UANA', groups: ['finance'] })
  await directory.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com', groups: [] })
  await directory.upsert({ id: 'cy', name: 'Cy', groups: [] })
  await directory.upsert({ id: 'dee', name: 'Dee', email: 'dee@example.com', groups: ['finance'] })
})
afterAll(async () => {
  redis.disconnect()
  await deleteKeys(testRedisUrl(), prefix)
})

const away = (person: string, delegateTo: string, fromH: number, toH: number) =>
  directory.absences.set(person, { from: new Date(now + fromH * HOUR).toISOString(), to: new Date(now + toH * HOUR).toISOString(), delegateTo }, person)

describe('absences in the directory', () => {
  it('lends identities and redirects delivery only during the period, group members included', async () => {
    await away('ana', 'bob', 1, 3)
    const bob = (await directory.get('bob'))!
    // Before: nothing lent, nothing redirected.
    expect((await directory.acting(bob)).covering).toEqual([])
    expect(await groupExpander(directory, () => enabled)(['group:finance'])).toEqual(expect.arrayContaining(['email:ana@example.com', 'chat:UANA', 'email:dee@example.com']))

    now += 2 * HOUR
    const acting = await directory.acting(bob)
    expect(acting.identities.slice(0, 2)).toEqual(['dashboard', 'user:bob'])
    expect(acting.identities).toEqual(expect.arrayContaining(['user:ana', 'email:ana@example.com', 'chat:UANA', 'group:finance']))
    expect(acting.covering).toEqual([{ person: 'ana', identities: expect.arrayContaining(['user:ana']) }])
    expect((await directory.actorFor('email', 'bob@example.com')).covering?.[0]?.person).toBe('ana')
    expect(await groupExpander(directory, () => enabled)(['dashboard'])).toEqual(['dashboard'])
    // Nobody's handle is never looked up: a directory that cannot reach Redis still answers.
    const offline = new Redis(testRedisUrl(), { lazyConnect: true, enableOfflineQueue: false })
    const unreachable = new Directory(offline, prefix, rules, () => now)
    expect(await unreachable.redirectAway(['dashboard', 'teams:someone'], enabled)).toEqual({ recipients: ['dashboard', 'teams:someone'], redirected: [] })
    await expect(unreachable.redirectAway(['chat:UANA'], enabled)).rejects.toThrow()
    offline.disconnect()
    const expanded = await groupExpander(directory, () => enabled)(['group:finance', 'chat:UANA', 'email:someone@example.com'])
    expect(expanded.sort()).toEqual(['email:bob@example.com', 'email:dee@example.com', 'email:someone@example.com'])

    // Audit: delegated only when the lent identities were what allowed it.
    const actor = { channel: 'dashboard' as const, actor: 'bob', identities: acting.identities, covering: acting.covering }
    expect(delegatedFrom(actor, ['user:ana'])).toEqual(['ana'])
    expect(delegatedFrom(actor, ['user:bob', 'user:ana'])).toEqual([])
    expect(delegatedFrom(actor, [])).toEqual([])

    now += 2 * HOUR
    expect((await directory.acting(bob)).identities).not.toContain('user:ana')
    expect(await groupExpander(directory, () => enabled)(['chat:UANA'])).toEqual(['chat:UANA'])
  })

  it('keeps the recipient when the delegate is unreachable, and lends one hop only', async () => {
    await away('dee', 'cy', -1, 1)
    expect(await groupExpander(directory, () => enabled)(['email:dee@example.com'])).toEqual(['email:dee@example.com'])
    await away('cy', 'bob', -1, 1)
    const bob = (await directory.get('bob'))!
    const acting = await directory.acting(bob)
    expect(acting.covering.map((c) => c.person)).toEqual(['cy'])
    expect(acting.identities).not.toContain('user:dee')
    // A removed person's absence goes with them.
    await directory.remove('cy')
    expect(await directory.absences.get('cy')).toBeNull()
  })
})
