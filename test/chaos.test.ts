import { describe, expect, it } from 'vitest'
import { formatReport, runChaos } from './chaos/chaos.js'

describe('chaos (small CI version of npm run chaos)', () => {
  it('keeps every invariant while servers, workers and Redis are SIGKILLed under load', async () => {
    const report = await runChaos({ checkpoints: 40, servers: 2, workers: 2, maxChaosMs: 12_000 })
    process.stdout.write(`${formatReport(report)}\n`)
    expect(report.violations).toEqual([])
    expect(report.kills.redis).toBe(1)
    expect(report.kills.server + report.kills.worker).toBeGreaterThanOrEqual(3)
  }, 180_000)
})
