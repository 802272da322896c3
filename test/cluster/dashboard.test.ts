import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { eventually, type TestHoldpoint } from '../support/holdpoint.js'
import { startRedisCluster, type RedisClusterProcess } from '../support/redis-cluster.js'
import { DashClient, PASSWORD, refundRequest, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'

// The dashboard on a 3-master cluster: people (directory MULTI), invites and sessions, the
// sign-in limiter's script, the live inbox's event stream (sharded pub/sub), the merged
// inbox and audit search, and Bull Board over the split queues.
let cluster: RedisClusterProcess
let hp: TestHoldpoint
let operator: DashClient
let ana: DashClient
const ANA = 'ana@example.com'

beforeAll(async () => {
  cluster = await startRedisCluster()
  let setupToken: string
  ;({ hp, setupToken } = await startDashboardHoldpoint({ env: { HOLDPOINT_REDIS_CLUSTER_NODES: cluster.seeds } }))
  const seeded = await seedPeople(hp, setupToken, [
    { name: 'Ana Ruiz', email: ANA, groups: ['finance'] },
    { name: 'Ben Okafor', email: 'ben@example.com', groups: ['finance'] },
  ])
  operator = seeded.operator
  ana = seeded.clients[ANA]!
}, 60_000)
afterAll(async () => {
  await hp?.close()
  await cluster?.stop()
})

/** Reads the dashboard's event stream as a browser would, collecting `change` events. */
async function openEvents(client: DashClient): Promise<{ changes: Array<{ id: string; state: string }>; close(): void }> {
  const abort = new AbortController()
  const res = await fetch(`${hp.url}/ui/api/events`, { headers: { cookie: client.cookie, accept: 'text/event-stream' }, signal: abort.signal })
  expect(res.status).toBe(200)
  const changes: Array<{ id: string; state: string }> = []
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  let ready: () => void = () => undefined
  const isReady = new Promise<void>((r) => (ready = r))
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
      if (done) return
      buffer += decoder.decode(value, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event = /^event: (\w+)/m.exec(block)?.[1]
        const data = /^data: (.*)$/m.exec(block)?.[1]
        if (event === 'ready') ready()
        if (event === 'change' && data) changes.push(JSON.parse(data) as { id: string; state: string })
      }
    }
  })()
  await isReady
  return { changes, close: () => abort.abort() }
}

describe('the dashboard on a Redis Cluster', () => {
  it('keeps people, sessions and the sign-in limiter working', async () => {
    const people = await operator.req('GET', '/ui/api/people')
    expect(people.body.people.map((p: { email: string }) => p.email).sort()).toEqual([ANA, 'ben@example.com', 'olga@example.com'])
    const client = new DashClient(hp.url)
    for (let i = 0; i < 5; i++) expect((await client.login('ben@example.com', 'wrong password!')).status).toBe(401)
    expect((await client.login('ben@example.com', PASSWORD)).status).toBe(429)
    expect((await new DashClient(hp.url).login(ANA, PASSWORD)).status).toBe(200)
  })

  it('streams the live inbox: every change reaches an open page, whichever shard it is on', async () => {
    const stream = await openEvents(ana)
    try {
      const ids: string[] = []
      for (let i = 0; i < 8; i++) ids.push((await hp.api('POST', '/v1/checkpoints', refundRequest({ task: `live ${i}`, notify: [`email:${ANA}`], assignTo: [`email:${ANA}`] }))).body.id)
      expect(new Set(ids.map((id) => hp.runtime.engine.store.keys.shardOf(id))).size).toBeGreaterThan(2)
      await eventually(async () => ids.every((id) => stream.changes.some((c) => c.id === id)), 10_000)
      const inbox = await ana.req('GET', '/ui/api/checkpoints')
      const listed = inbox.body.items.map((i: { id: string }) => i.id)
      expect(listed.filter((id: string) => ids.includes(id))).toEqual([...ids].reverse())
      const answered = await ana.req('POST', `/ui/api/checkpoints/${ids[2]!}/answer`, { response: { approved: true, amountUsd: 25 } })
      expect(answered.status).toBe(200)
      await eventually(async () => stream.changes.some((c) => c.id === ids[2] && c.state === 'resolved'), 10_000)
      const audit = await operator.req('GET', `/ui/api/audit?actor=${encodeURIComponent(answered.body.respondedBy?.actor ?? '')}`)
      expect(audit.status).toBe(200)
      expect(audit.body.rows.some((r: { checkpointId: string; kind: string }) => r.checkpointId === ids[2] && r.kind === 'answered')).toBe(true)
    } finally {
      stream.close()
    }
  })

  it('shows every (split) queue in Bull Board', async () => {
    const board = await operator.req('GET', '/admin/queues/api/queues')
    expect(board.status).toBe(200)
    const names = (board.body.queues as Array<{ name: string }>).map((q) => q.name)
    expect(names).toEqual(expect.arrayContaining(['timers.0', 'timers.1', 'timers.2', 'deliver-email.0', 'resume.2', 'checkpoints']))
    expect(names).not.toContain('timers')
  })
})
