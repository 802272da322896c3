import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PermanentDeliveryError, type Channel } from '../../plugins/channel.js'
import { queueNames } from '../../plugins/queue-names.js'
import { PLUGINS } from '../../ops/plugins.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'

/** A Telegram stand-in that the provider refuses for good: every delivery fails permanently. */
const refusingTelegram: Channel = {
  name: 'telegram',
  deliver: () => Promise.reject(new PermanentDeliveryError('chat not found')),
}

let hp: TestHoldpoint
let receiver: WebhookReceiver

beforeAll(async () => {
  receiver = await new WebhookReceiver().start()
  hp = await startHoldpoint({ plugins: [], channels: [refusingTelegram] })
})
afterAll(async () => {
  await hp.close()
  await receiver.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

interface Sample {
  name: string
  labels: Record<string, string>
  value: number
}

/** The Prometheus text format, as a scraper reads it. */
function parse(text: string): Sample[] {
  const samples: Sample[] = []
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match) throw new Error(`not exposition format: ${line}`)
    const labels: Record<string, string> = {}
    for (const [, k, v] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!
    samples.push({ name: match[1]!, labels, value: Number(match[3]) })
  }
  return samples
}

async function scrape(): Promise<Sample[]> {
  const res = await fetch(`${hp.url}/metrics`)
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toContain('text/plain')
  return parse(await res.text())
}

const value = (samples: Sample[], name: string, labels: Record<string, string> = {}) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0)

describe('/metrics', () => {
  it('counts a lifecycle: created, delivered, viewed, decided, resumed, failed, by channel', async () => {
    const cp = (await hp.api('POST', '/v1/checkpoints', { task: 'refund?', responseSchema: approvalSchema, resume: { webhook: { url: receiver.url } } })).body
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${cp.id}`)).body.state === 'delivered')
    // A reviewer opening it twice: the first view counts once.
    await hp.runtime.engine.note(cp.id, { kind: 'viewed', actor: { channel: 'dashboard', actor: 'ana' } })
    await hp.runtime.engine.note(cp.id, { kind: 'viewed', actor: { channel: 'dashboard', actor: 'bob' } })
    expect((await hp.api('POST', `/v1/checkpoints/${cp.id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
    await eventually(async () => receiver.received.length === 1)
    const failing = (await hp.api('POST', '/v1/checkpoints', { task: 'nobody hears', responseSchema: approvalSchema, notify: ['telegram:42'] })).body
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${failing.id}/audit`)).body.entries.some((e: { kind: string }) => e.kind === 'delivery.failed'))
    await hp.api('POST', `/v1/checkpoints/${failing.id}/cancel`, {})
    // A deadline that fires: a job, so the job metrics have something to count.
    const timed = (await hp.api('POST', '/v1/checkpoints', { task: 'too late', responseSchema: approvalSchema, timeoutSeconds: 1 })).body
    await eventually(async () => (await hp.api('GET', `/v1/checkpoints/${timed.id}`)).body.state === 'expired', 10_000)

    const m = await eventually(async () => {
      const s = await scrape()
      return value(s, 'holdpoint_answer_to_resume_seconds_count') >= 1 && value(s, 'holdpoint_time_to_first_view_seconds_count') >= 1 && s
    })
    expect(value(m, 'holdpoint_checkpoints_created_total', { channel: 'dashboard' })).toBe(2)
    expect(value(m, 'holdpoint_checkpoints_created_total', { channel: 'telegram' })).toBe(1)
    expect(value(m, 'holdpoint_transitions_total', { event: 'checkpoint.create' })).toBe(3)
    expect(value(m, 'holdpoint_deliveries_total', { channel: 'dashboard' })).toBe(2)
    expect(value(m, 'holdpoint_delivery_failures_total', { channel: 'telegram' })).toBe(1)
    expect(value(m, 'holdpoint_checkpoints_finished_total', { state: 'resolved', channel: 'api' })).toBe(1)
    expect(value(m, 'holdpoint_checkpoints_finished_total', { state: 'cancelled' })).toBe(1)
    expect(value(m, 'holdpoint_time_to_first_view_seconds_count')).toBe(1)
    expect(value(m, 'holdpoint_time_to_decision_seconds_count', { channel: 'api' })).toBe(1)
    expect(value(m, 'holdpoint_answer_to_resume_seconds_count', { target: 'webhook' })).toBe(1)
    // The answering process resumed the agent itself: no resume job was needed.
    expect(value(m, 'holdpoint_inline_attempts_total', { kind: 'resume', outcome: 'done' })).toBe(1)
    expect(value(m, 'holdpoint_job_duration_seconds_count', { queue: 'resume' })).toBe(0)
    expect(value(m, 'holdpoint_job_duration_seconds_count', { queue: 'timers', outcome: 'completed' })).toBe(1)
    expect(value(m, 'holdpoint_job_wait_seconds_count', { queue: 'timers' })).toBe(1)
    expect(value(m, 'holdpoint_http_request_duration_seconds_count', { route: '/v1/checkpoints', method: 'POST', status: '201' })).toBe(3)
    // Depth of every queue Holdpoint owns, including those of channel modules that are off here.
    const queues = new Set(m.filter((s) => s.name === 'holdpoint_queue_jobs').map((s) => s.labels.queue))
    expect([...queues].sort()).toEqual(queueNames(PLUGINS).sort())
    // Completed jobs of Holdpoint's own queues are removed as they complete; the gauge says so.
    expect(m.filter((s) => s.name === 'holdpoint_queue_jobs' && s.labels.queue === 'resume' && s.labels.state === 'completed').map((s) => s.value)).toEqual([0])
    // Process metrics.
    expect(value(m, 'holdpoint_process_resident_memory_bytes')).toBeGreaterThan(0)
    expect(m.some((s) => s.name === 'holdpoint_nodejs_eventloop_lag_seconds')).toBe(true)
    // Never a checkpoint id in a label.
    expect(m.some((s) => Object.values(s.labels).some((v) => v.startsWith('cp_')))).toBe(false)
  })

  it('counts verifier verdicts from the engine', () => {
    const observer = hp.runtime.metrics.observer()
    const base = { id: 'cp_x', from: 'verifying' as const, event: 'checkpoint.verdict', request: { notify: [] } as never }
    observer.committed?.({ ...base, to: 'verified', input: { type: 'checkpoint.verdict', now: 0, attempt: 1, passed: true, reason: 'ok' } })
    observer.committed?.({ ...base, to: 'claimed', input: { type: 'checkpoint.verdict', now: 0, attempt: 1, passed: false, reason: 'no' } })
    return hp.runtime.metrics.registry.getSingleMetricAsString('holdpoint_verifier_verdicts_total').then((text) => {
      const s = parse(text)
      expect(value(s, 'holdpoint_verifier_verdicts_total', { verdict: 'passed' })).toBe(1)
      expect(value(s, 'holdpoint_verifier_verdicts_total', { verdict: 'failed' })).toBe(1)
    })
  })
})

describe('ops/grafana-dashboard.json', () => {
  it('queries only metrics this process exports', async () => {
    const { readFile } = await import('node:fs/promises')
    const dashboard = JSON.parse(await readFile(new URL('../../ops/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ targets: Array<{ expr: string }> }> }
    const exported = new Set((await hp.runtime.metrics.registry.getMetricsAsJSON()).map((m) => m.name))
    const used = dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/holdpoint_\w+/g) ?? []))
    expect(used.length).toBeGreaterThan(10)
    for (const name of used) expect(exported, name).toContain(name.replace(/_(bucket|count|sum)$/, ''))
  })
})
