import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { passwordCheckCount } from '../../http/dashboard/passwords.js'
import { deleteKeys, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { DashClient, PASSWORD, seedPeople, startDashboardHoldpoint } from '../dashboard/support.js'

/**
 * Dashboard sign-in throttling: counted atomically before the slow password hash, so
 * concurrent guesses cannot race past it; growing delays instead of a lock-out, so the
 * owner gets back in once the wait is over.
 */

let hp: TestHoldpoint
const ANA = 'ana@example.com'
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  let setupToken: string
  ;({ hp, setupToken } = await startDashboardHoldpoint())
  await seedPeople(hp, setupToken, [{ name: 'Ana', email: ANA }])
})
afterAll(async () => {
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

describe('sign-in throttling', () => {
  it('30 concurrent wrong passwords: only the allowance reaches the password check; the right one works after the wait', async () => {
    const before = passwordCheckCount.value
    const burstStarted = Date.now()
    const replies = await Promise.all(Array.from({ length: 30 }, () => new DashClient(hp.url).login(ANA, 'wrong password!!')))
    const checks = passwordCheckCount.value - before
    const statuses = replies.map((r) => r.status)
    expect(checks).toBeLessThanOrEqual(5)
    expect(statuses.filter((s) => s === 401)).toHaveLength(checks)
    expect(statuses.filter((s) => s === 429)).toHaveLength(30 - checks)
    const waits = replies.filter((r) => r.status === 429).map((r) => Number(r.headers.get('retry-after')))
    expect(waits.every((w) => w >= 1 && w <= 2)).toBe(true)

    // Still inside the wait: even the right password is refused, and no hash is computed. (On
    // a machine so loaded that the burst itself outlasted the wait, the wait is over: then the
    // right password may pass, but only then.)
    const early = passwordCheckCount.value
    const rightTooSoon = await new DashClient(hp.url).login(ANA, PASSWORD)
    if (Date.now() - burstStarted < Math.min(...waits) * 1000) {
      expect(rightTooSoon.status).toBe(429)
      expect(passwordCheckCount.value).toBe(early)
    } else if (rightTooSoon.status === 200) {
      // The wait was over and the owner is in; a success clears the counters, so the growing
      // waits below cannot be seen in this run. The next slip is a plain 401.
      expect((await new DashClient(hp.url).login(ANA, 'wrong password!!')).status).toBe(401)
      return
    } else expect(rightTooSoon.status).toBe(429)

    // The wait grows with each failure past the allowance: 1 s, then 2 s.
    await sleep(Math.max(...waits) * 1000 + 100)
    expect((await new DashClient(hp.url).login(ANA, 'wrong password!!')).status).toBe(401)
    const next = await new DashClient(hp.url).login(ANA, PASSWORD)
    expect(next.status).toBe(429)
    expect(Number(next.headers.get('retry-after'))).toBe(2)

    await sleep(2100)
    const owner = new DashClient(hp.url)
    expect((await owner.login(ANA, PASSWORD)).status).toBe(200)
    expect((await owner.req('GET', '/ui/api/session')).status).toBe(200)
    // A success clears the account's counters: the next slip is not punished at once.
    expect((await new DashClient(hp.url).login(ANA, 'wrong password!!')).status).toBe(401)
    expect((await new DashClient(hp.url).login(ANA, PASSWORD)).status).toBe(200)
  })

  it('unknown accounts are throttled the same way (no hint that the name does not exist)', async () => {
    const before = passwordCheckCount.value
    const replies = await Promise.all(Array.from({ length: 12 }, () => new DashClient(hp.url).login('nobody@example.com', 'wrong password!!')))
    expect(passwordCheckCount.value - before).toBeLessThanOrEqual(5)
    expect(replies.filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(7)
  })
})
