import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { guardedFetch, RedirectRefused } from '../../engine/outbound.js'
import { isPrivateAddress, privateUrlProblem } from '../../engine/webhook-address.js'
import { inngestTarget } from '../../resume/inngest-target.js'
import { langgraphTarget } from '../../resume/langgraph-target.js'
import { ResumeRejected } from '../../plugins/resume-target.js'
import { temporalTarget } from '../../resume/temporal-target.js'
import { webhookTarget } from '../../resume/webhook-target.js'
import { VerifierMisconfigured, VerifierUnavailable, type VerifyInput } from '../../verify/verdict.js'
import { webhookVerifier } from '../../verify/webhook-verifier.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl } from '../support/holdpoint.js'

/**
 * Outbound clients that carry a credential never follow a redirect to another origin, and
 * a failing server's body never reaches the error that goes to logs and the audit.
 */

interface Seen {
  method: string
  path: string
  headers: IncomingHttpHeaders
}

type Answer = { status: number; headers?: Record<string, string>; body?: string }

const servers: Server[] = []

async function serve(answer: (req: Seen) => Answer): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      const entry = { method: req.method ?? '', path: req.url ?? '', headers: req.headers }
      seen.push(entry)
      const a = answer(entry)
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers }).end(a.body ?? '')
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
})

const SECRET_BODY = 'INTERNAL-DUMP root:x:0:0 <script>alert(1)</script> AKIAEXAMPLEKEY'
const event = { type: 'checkpoint.resolved', timestamp: new Date().toISOString(), data: { checkpointId: 'cp_0123456789abcdef', state: 'resolved' } } as never
const allowLocal = { allowPrivate: true }

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a failure')
}

describe('LangGraph resume target', () => {
  it('never sends the API key to another origin: a 307 elsewhere is refused, not followed', async () => {
    const elsewhere = await serve(() => ({ status: 200, body: '{"thread_id":"t1","status":"idle","interrupts":{}}' }))
    const api = await serve((req) => ({ status: 307, headers: { location: `${elsewhere.url}${req.path}` } }))
    const target = langgraphTarget(undefined, allowLocal)
    const error = await failureOf(target.resume(event, { langgraph: { apiUrl: api.url, threadId: 't1', assistantId: 'agent', apiKey: 'lg-secret-key-0123456789' } }, { messageId: 'msg_1' }))
    expect(error).toBeInstanceOf(ResumeRejected)
    expect(error.message).toMatch(/another origin/)
    expect(api.seen[0]?.headers['x-api-key']).toBe('lg-secret-key-0123456789')
    expect(elsewhere.seen).toHaveLength(0)
    expect(JSON.stringify(elsewhere.seen)).not.toContain('lg-secret-key')
  })

  it('follows a same-origin redirect', async () => {
    const api = await serve((req) => {
      if (req.path.startsWith('/old/')) return { status: 308, headers: { location: req.path.slice(4) } }
      if (req.method === 'GET') return { status: 200, body: JSON.stringify({ thread_id: 't1', status: 'interrupted', interrupts: { task: [{ value: { question: 'ok?' } }] } }) }
      return { status: 200, body: JSON.stringify({ run_id: 'run-1', thread_id: 't1' }) }
    })
    const target = langgraphTarget(undefined, allowLocal)
    const { detail } = await target.resume(event, { langgraph: { apiUrl: `${api.url}/old`, threadId: 't1', assistantId: 'agent', apiKey: 'lg-secret-key-0123456789' } }, { messageId: 'msg_1' })
    expect(detail).toMatchObject({ runId: 'run-1' })
    expect(api.seen.filter((r) => !r.path.startsWith('/old/')).every((r) => r.headers['x-api-key'] === 'lg-secret-key-0123456789')).toBe(true)
  })

  it("keeps a failing server's body out of the error (which goes to logs and the audit)", async () => {
    const api = await serve(() => ({ status: 500, body: SECRET_BODY }))
    const error = await failureOf(langgraphTarget(undefined, allowLocal).resume(event, { langgraph: { apiUrl: api.url, threadId: 't1', assistantId: 'agent' } }, { messageId: 'msg_1' }))
    expect(error.message).toMatch(/HTTP 500/)
    expect(error.message).not.toMatch(/INTERNAL-DUMP|AKIA|script/)
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('INTERNAL-DUMP')
  })

  it('checks the API address after DNS at send time', async () => {
    const target = langgraphTarget(() => Promise.reject(new Error('must not connect')), { allowPrivate: false, resolve: () => Promise.resolve([{ address: '10.1.2.3' }]) })
    const error = await failureOf(target.resume(event, { langgraph: { apiUrl: 'https://lg.example.com', threadId: 't1', assistantId: 'agent' } }, { messageId: 'msg_1' }))
    expect(error).toBeInstanceOf(ResumeRejected)
    expect(error.message).toMatch(/private address/)
  })
})

describe('end to end: a resume through the worker, into the audit the agent reads', () => {
  it('a LangGraph API that redirects elsewhere: the key stays home, the failure is final and audited by status only', async () => {
    const elsewhere = await serve(() => ({ status: 200, body: SECRET_BODY }))
    const api = await serve((req) => ({ status: 307, headers: { location: `${elsewhere.url}${req.path}` }, body: SECRET_BODY }))
    const hp = await startHoldpoint()
    try {
      const created = await hp.api('POST', '/v1/checkpoints', {
        task: 'Refund?',
        responseSchema: approvalSchema,
        resume: { langgraph: { apiUrl: api.url, threadId: 't1', assistantId: 'agent', apiKey: 'lg-secret-key-0123456789' } },
      })
      expect(created.status).toBe(201)
      const id = created.body.id as string
      expect((await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })).status).toBe(200)
      const failed = await eventually(async () => ((await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data: Record<string, unknown> }>).find((e) => e.kind === 'resume.failed'))
      expect(failed.data).toMatchObject({ final: true, status: 307, refused: 'redirect' })
      const audit = JSON.stringify((await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body)
      expect(audit).not.toContain('INTERNAL-DUMP')
      expect(audit).not.toContain('lg-secret-key')
      expect(elsewhere.seen).toHaveLength(0)
    } finally {
      await hp.close()
      await deleteKeys(testRedisUrl(), hp.prefix)
    }
  })
})

describe('resume webhook target', () => {
  it('does not carry the signature to another origin, and reports status without body', async () => {
    const elsewhere = await serve(() => ({ status: 200 }))
    const hook = await serve((req) => (req.path === '/moved' ? { status: 307, headers: { location: `${elsewhere.url}/steal` } } : { status: 502, body: SECRET_BODY }))
    const target = webhookTarget(`whsec_${'A'.repeat(32)}`, fetch, allowLocal)
    const moved = await failureOf(target.resume(event, { webhook: { url: `${hook.url}/moved` } }, { messageId: 'msg_1' }))
    expect(moved).toBeInstanceOf(ResumeRejected)
    expect(elsewhere.seen).toHaveLength(0)
    const failed = await failureOf(target.resume(event, { webhook: { url: `${hook.url}/fail` } }, { messageId: 'msg_1' }))
    expect(failed.message).toBe('the receiver answered HTTP 502 Bad Gateway')
  })
})

describe('verifier webhook', () => {
  const input: VerifyInput = { checkpointId: 'cp_0123456789abcdef', attempt: 1, task: 't', responseSchema: {}, answer: {}, instructions: 'i', redacted: false }

  it('resolves and checks the address before connecting', async () => {
    let called = false
    const verifier = webhookVerifier(`whsec_${'A'.repeat(32)}`, () => {
      called = true
      return Promise.resolve(new Response('{}'))
    }, { allowPrivate: false, resolve: () => Promise.resolve([{ address: '::ffff:169.254.169.254' }]) })
    await expect(verifier.verify(input, { provider: 'webhook', url: 'https://verifier.example.com/v', instructions: 'i' } as never)).rejects.toBeInstanceOf(VerifierMisconfigured)
    expect(called).toBe(false)
  })

  it('refuses redirects elsewhere and keeps bodies out of errors', async () => {
    const elsewhere = await serve(() => ({ status: 200, body: '{"passed":true,"reason":"stolen"}' }))
    const verifierServer = await serve((req) => (req.path === '/moved' ? { status: 308, headers: { location: `${elsewhere.url}/v` } } : { status: 500, body: SECRET_BODY }))
    const verifier = webhookVerifier(`whsec_${'A'.repeat(32)}`, fetch, allowLocal)
    const moved = await failureOf(verifier.verify(input, { provider: 'webhook', url: `${verifierServer.url}/moved`, instructions: 'i' } as never))
    expect(moved).toBeInstanceOf(VerifierUnavailable)
    expect(elsewhere.seen).toHaveLength(0)
    const failed = await failureOf(verifier.verify(input, { provider: 'webhook', url: `${verifierServer.url}/fail`, instructions: 'i' } as never))
    expect(failed.message).toBe('the webhook verifier answered HTTP 500 Internal Server Error')
  })
})

describe('Inngest resume target', () => {
  it("reports a refusal by status, without the server's words", async () => {
    const api = await serve(() => ({ status: 400, body: JSON.stringify({ error: SECRET_BODY, status: 400 }) }))
    const target = inngestTarget({ eventKey: 'inngest-event-key-0123456789', baseUrl: api.url })
    const error = await failureOf(target.resume(event, { inngest: {} }, { messageId: 'msg_1' }))
    expect(error.message).toMatch(/HTTP 400/)
    expect(error.message).not.toMatch(/INTERNAL-DUMP|inngest-event-key/)
  })

  it('does not follow a redirect to another origin', async () => {
    const elsewhere = await serve(() => ({ status: 200, body: '{"ids":["x"],"status":200}' }))
    const api = await serve((req) => ({ status: 307, headers: { location: `${elsewhere.url}${req.path}` } }))
    const target = inngestTarget({ eventKey: 'inngest-event-key-0123456789', baseUrl: api.url })
    await expect(target.resume(event, { inngest: {} }, { messageId: 'msg_1' })).rejects.toThrow()
    expect(elsewhere.seen).toHaveLength(0)
  })
})

describe('Temporal resume target', () => {
  it('checks the address after DNS before dialling', async () => {
    const target = temporalTarget({ allowPrivate: false, resolve: () => Promise.resolve([{ address: 'fd00:ec2::254' }]) })
    const error = await failureOf(target.resume(event, { temporal: { address: 'temporal.example.com:7233', workflowId: 'wf' } }, { messageId: 'msg_1' }))
    expect(error).toBeInstanceOf(ResumeRejected)
    await target.close()
  })
})

describe('guardedFetch', () => {
  it('turns a POST into a GET on 303 and stops after a few hops', async () => {
    const loop = await serve((req) => (req.path === '/see-other' ? { status: 303, headers: { location: '/done' } } : req.path === '/done' ? { status: 200, body: req.method } : { status: 302, headers: { location: '/loop' } }))
    const send = guardedFetch()
    const done = await send(`${loop.url}/see-other`, { method: 'POST', body: 'x' })
    expect(await done.text()).toBe('GET')
    await expect(send(`${loop.url}/loop`)).rejects.toBeInstanceOf(RedirectRefused)
  })
})

describe('the static address check (IPv6 forms that reach IPv4 or internal hosts)', () => {
  const refused = [
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:0:127.0.0.1',
    '::ffff:0:7f00:1',
    '::ffff:0:a9fe:a9fe',
    '64:ff9b::10.0.0.1',
    '64:ff9b::a00:1',
    '64:ff9b:1::1',
    '64:ff9b:1:abcd::5db8:d822',
    '2002:7f00:1::',
    '2002:a9fe:a9fe::1',
    '2002:c0a8:101::',
    'fc00::1',
    'fdff:ffff::1',
    'fe80::1',
    'febf::1',
    '::1',
    '::',
    '0:0:0:0:0:0:0:1',
    '::127.0.0.1',
    '::7f00:1',
    '::a00:1',
    '2001::1',
  ]
  it.each(refused)('refuses [%s]', (address) => {
    expect(isPrivateAddress(address)).toBe(true)
    expect(privateUrlProblem(`http://[${address}]:8080/hook`)).not.toBeNull()
  })

  it('keeps public addresses, including public IPv4 embedded in IPv6', () => {
    for (const address of ['2606:4700::1111', '2a00:1450:4001::200e', '::ffff:93.184.216.34', '64:ff9b::93.184.216.34', '2002:5db8:d822::1']) {
      expect(isPrivateAddress(address), address).toBe(false)
      expect(privateUrlProblem(`https://[${address}]/hook`), address).toBeNull()
    }
  })
})
