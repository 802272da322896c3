import fc from 'fast-check'
import { Queue } from 'bullmq'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { assertPublicDestination, isPrivateAddress, PrivateDestinationError, privateUrlProblem } from '../../engine/webhook-address.js'
import { loadConfig } from '../../ops/config.js'
import { ResumeRejected } from '../../plugins/resume-target.js'
import { webhookTarget } from '../../resume/webhook-target.js'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { WebhookReceiver } from '../support/webhook-receiver.js'
import { approval, countCheckpoints, runs, UNLIMITED } from './support.js'

/**
 * Resume (and verifier) webhooks may not reach private, loopback, link-local, unique-local or
 * metadata addresses, nor use other schemes, unless HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS allows it:
 * refused with 422 at create time, and again after DNS resolution at send time.
 */

const octet = fc.integer({ min: 0, max: 255 })
const privateV4 = fc.oneof(
  fc.tuple(octet, octet, octet).map(([b, c, d]) => `10.${b}.${c}.${d}`),
  fc.tuple(fc.integer({ min: 16, max: 31 }), octet, octet).map(([b, c, d]) => `172.${b}.${c}.${d}`),
  fc.tuple(octet, octet).map(([c, d]) => `192.168.${c}.${d}`),
  fc.tuple(octet, octet, octet).map(([b, c, d]) => `127.${b}.${c}.${d}`),
  fc.tuple(octet, octet).map(([c, d]) => `169.254.${c}.${d}`),
  fc.tuple(octet, octet, octet).map(([b, c, d]) => `0.${b}.${c}.${d}`),
)
const hex = fc.integer({ min: 0, max: 0xffff }).map((n) => n.toString(16))
const privateV6 = fc.oneof(
  fc.tuple(fc.integer({ min: 0xfe80, max: 0xfebf }), hex).map(([a, b]) => `${a.toString(16)}::${b}`),
  fc.tuple(fc.integer({ min: 0xfc00, max: 0xfdff }), hex, hex).map(([a, b, c]) => `${a.toString(16)}:${b}::${c}`),
  fc.constantFrom('::1', '::', '0:0:0:0:0:0:0:1'),
  privateV4.map((v4) => `::ffff:${v4}`),
)
/** The same private address spelled the ways URL parsers accept. */
const spellings = (v4: string): string[] => {
  const n = v4.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
  return [v4, String(n), `0x${n.toString(16)}`, v4.split('.').map((o) => `0${Number(o).toString(8)}`).join('.')]
}

describe('the address classifier', () => {
  it('refuses every private, loopback and link-local IPv4 address in any spelling', () => {
    fc.assert(
      fc.property(privateV4, fc.constantFrom('http', 'https'), fc.option(fc.integer({ min: 1, max: 65535 })), (ip, scheme, port) => {
        expect(isPrivateAddress(ip)).toBe(true)
        for (const host of spellings(ip)) expect(privateUrlProblem(`${scheme}://${host}${port === null ? '' : `:${port}`}/hook`), host).not.toBeNull()
      }),
      runs(300),
    )
  })

  it('does not refuse public IPv4 addresses (no false positives outside the blocked ranges)', () => {
    const inBlocked = (a: number, b: number) =>
      [0, 10, 127].includes(a) || a >= 224 || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && (b === 168 || b === 0)) || (a === 198 && (b === 18 || b === 19))
    fc.assert(
      fc.property(octet, octet, octet, octet, (a, b, c, d) => {
        fc.pre(!inBlocked(a, b))
        expect(privateUrlProblem(`https://${a}.${b}.${c}.${d}/hook`), `${a}.${b}.${c}.${d}`).toBeNull()
      }),
      runs(300),
    )
  })

  it('refuses link-local, unique-local, loopback and mapped IPv6', () => {
    fc.assert(
      fc.property(privateV6, (ip) => {
        expect(isPrivateAddress(ip), ip).toBe(true)
        expect(privateUrlProblem(`http://[${ip}]:8080/`), ip).not.toBeNull()
      }),
      runs(300),
    )
  })

  it('refuses metadata and internal names and non-http schemes; accepts public hosts', () => {
    for (const url of [
      'http://localhost/',
      'http://LOCALHOST./',
      'http://api.localhost/',
      'http://metadata.google.internal/computeMetadata/v1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fd00:ec2::254]/',
      'http://redis:6379/',
      'http://printer.local/',
      'ftp://example.com/',
      'file:///etc/passwd',
      'gopher://example.com/',
      'not a url',
    ]) {
      expect(privateUrlProblem(url), url).not.toBeNull()
    }
    for (const url of ['https://agent.example.com/hook', 'http://93.184.216.34/x', 'https://[2606:4700::1111]/']) expect(privateUrlProblem(url), url).toBeNull()
  })

  it('checks what a public-looking name resolves to', async () => {
    await expect(assertPublicDestination('https://rebind.example.com/x', () => Promise.resolve([{ address: '93.184.216.34' }, { address: '10.0.0.5' }]))).rejects.toBeInstanceOf(
      PrivateDestinationError,
    )
    await expect(assertPublicDestination('https://ok.example.com/x', () => Promise.resolve([{ address: '93.184.216.34' }]))).resolves.toBeUndefined()
  })

  it('defaults: refused in production, allowed in dev, explicit setting wins', () => {
    const secrets = { HOLDPOINT_API_TOKENS: 'a'.repeat(20), HOLDPOINT_WEBHOOK_SECRET: `whsec_${'A'.repeat(32)}`, HOLDPOINT_SECRET_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`, HOLDPOINT_ARCHIVE: 'off' }
    expect(loadConfig({ NODE_ENV: 'production', ...secrets }).allowPrivateWebhooks).toBe(false)
    expect(loadConfig({}).allowPrivateWebhooks).toBe(true)
    expect(loadConfig({ NODE_ENV: 'production', HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true', ...secrets }).allowPrivateWebhooks).toBe(true)
    expect(loadConfig({ HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'false' }).allowPrivateWebhooks).toBe(false)
    expect(() => loadConfig({ HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'yes' })).toThrow(/HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS/)
  })
})

describe('send time', () => {
  it('stops (no retry) before connecting when the host resolves privately', async () => {
    let called = false
    const target = webhookTarget('whsec_' + 'A'.repeat(32), () => {
      called = true
      return Promise.resolve(new Response(null, { status: 200 }))
    }, { allowPrivate: false, resolve: () => Promise.resolve([{ address: '127.0.0.1' }]) })
    const event = { type: 'checkpoint.resolved', timestamp: new Date().toISOString(), data: { checkpointId: 'cp_x', state: 'resolved' } }
    await expect(target.resume(event as never, { webhook: { url: 'https://agent.example.com/hook' } }, { messageId: 'msg_1' })).rejects.toBeInstanceOf(ResumeRejected)
    expect(called).toBe(false)
  })
})

describe('create time, with HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS=false', () => {
  let hp: TestHoldpoint
  beforeAll(async () => {
    hp = await startHoldpoint({ env: { ...UNLIMITED, HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'false' } })
  })
  afterAll(async () => {
    await hp.close()
    await deleteKeys(testRedisUrl(), hp.prefix)
  })

  const ssrf = fc.oneof(
    privateV4.chain((ip) => fc.constantFrom(...spellings(ip))).map((h) => `http://${h}/hook`),
    privateV6.map((ip) => `http://[${ip}]/hook`),
    fc.constantFrom('http://localhost:8080/', 'http://metadata.google.internal/', 'ftp://example.com/x', 'file:///etc/passwd', 'http://internal-service/'),
  )

  it('answers 422 at /resume/webhook/url and creates nothing', async () => {
    const before = await countCheckpoints(hp)
    await fc.assert(
      fc.asyncProperty(ssrf, async (url) => {
        const res = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval, resume: { webhook: { url } } })
        expect(res.status, url).toBe(422)
        expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('/resume/webhook/url')
      }),
      runs(60),
    )
    expect(await countCheckpoints(hp)).toBe(before)
  }, 30_000)

  it('refuses private LangGraph API URLs and Temporal addresses the same way', async () => {
    const langgraph = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval, resume: { langgraph: { apiUrl: 'http://10.0.0.5:8123', threadId: 't', assistantId: 'a' } } })
    expect(langgraph.status).toBe(422)
    expect(langgraph.body.errors.map((e: { path: string }) => e.path)).toContain('/resume/langgraph/apiUrl')
    const temporal = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval, resume: { temporal: { address: '127.0.0.1:7233', workflowId: 'w' } } })
    expect(temporal.status).toBe(422)
    expect(temporal.body.errors.map((e: { path: string }) => e.path)).toContain('/resume/temporal/address')
    const publicOne = await hp.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval, resume: { temporal: { address: 'temporal.example.com:7233', workflowId: 'w' } } })
    expect(publicOne.status).toBe(201)
  })

  it('refuses the same through the intake queue, and accepts a public URL', async () => {
    const queue = new Queue('checkpoints', { connection: { url: testRedisUrl() }, prefix: hp.prefix })
    try {
      const bad = await queue.add('create', { task: 'x', responseSchema: approval, resume: { webhook: { url: 'http://169.254.169.254/' } } })
      await eventually(async () => (await bad.isFailed()) && true)
      const ok = await queue.add('create', { task: 'x', responseSchema: approval, resume: { webhook: { url: 'https://agent.example.com/hook' } } })
      await eventually(async () => (await ok.isCompleted()) && true)
    } finally {
      await queue.close()
    }
  })

  it('does not send a webhook whose receiver is on loopback, even if it got in before', async () => {
    const receiver = await new WebhookReceiver().start()
    try {
      // Created by a server that allowed it, resolved by this one, which does not.
      const open = await startHoldpoint({ env: { ...hp.env, HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: 'true' }, worker: false })
      const created = await open.api('POST', '/v1/checkpoints', { task: 'x', responseSchema: approval, resume: { webhook: { url: receiver.url } } })
      await open.close()
      expect(created.status).toBe(201)
      await hp.api('POST', `/v1/checkpoints/${created.body.id}/response`, { response: { approved: true }, actor: 'svc' })
      const audit = await eventually(async () => {
        const entries = (await hp.api('GET', `/v1/checkpoints/${created.body.id}/audit`)).body.entries as Array<{ kind: string }>
        return entries.some((e) => e.kind === 'resume.failed') && entries
      })
      expect(audit.map((e) => e.kind)).not.toContain('resumed')
      expect(receiver.received).toHaveLength(0)
    } finally {
      await receiver.close()
    }
  })
})
