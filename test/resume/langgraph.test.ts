import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { askHumanInNode, langgraphResumeReceiver, type LangGraphResumeReceiver, type ReceiverAnswer } from '../../sdk/langgraph.js'
import { approvalSchema, deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'
import { JsonServer } from './wire-servers.js'

let hp: TestHoldpoint
let hookServer: Server
let hookUrl = ''
let receiver: LangGraphResumeReceiver
const answers: ReceiverAnswer[] = []

const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })
const counts = { asked: 0, afterAnswer: 0 }
const State = Annotation.Root({
  amountUsd: Annotation<number>(),
  decision: Annotation<z.infer<typeof Decision> | null>({ reducer: (_a, b) => b, default: () => null }),
})

// A real graph with a checkpointer: `approve` asks through Holdpoint and pauses on interrupt().
const graph = new StateGraph(State)
  .addNode('approve', async (state) => {
    counts.asked++
    const decision = await askHumanInNode({
      url: hp.url,
      token: hp.token,
      task: `Refund $${state.amountUsd}?`,
      responseSchema: Decision,
      resume: { webhook: { url: hookUrl } },
    })
    counts.afterAnswer++
    return { decision }
  })
  .addEdge(START, 'approve')
  .addEdge('approve', END)
  .compile({ checkpointer: new MemorySaver() })

beforeAll(async () => {
  hp = await startHoldpoint()
  receiver = langgraphResumeReceiver({ graph, secret: hp.config.webhookSecret })
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void receiver.handle({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }).then((answer) => {
        answers.push(answer)
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body))
      })
    })
  })
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve))
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/holdpoint`
})
afterAll(async () => {
  await receiver.idle()
  hookServer.closeAllConnections()
  await new Promise<void>((resolve) => hookServer.close(() => resolve()))
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const auditOf = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string; data: Record<string, unknown> }>
const interruptOf = (result: unknown) => (result as { __interrupt__: Array<{ value: { holdpointCheckpointId: string } }> }).__interrupt__[0]!.value

describe('LangGraph in-process: askHumanInNode + langgraphResumeReceiver', () => {
  it('pauses on interrupt(), a person answers through Holdpoint, the webhook resumes the graph to the typed answer, once', async () => {
    const config = { configurable: { thread_id: `t-${Date.now()}` } }
    const paused = await graph.invoke({ amountUsd: 250 }, config)
    const { holdpointCheckpointId: id } = interruptOf(paused)
    const cp = await hp.api('GET', `/v1/checkpoints/${id}`)
    expect(cp.body.metadata.langgraph).toMatchObject({ threadId: config.configurable.thread_id, node: 'approve', index: 0 })
    expect(counts).toEqual({ asked: 1, afterAnswer: 0 })

    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true, note: 'dup charge' }, actor: 'ana' })
    await eventually(async () => (await graph.getState(config)).next.length === 0 && (await graph.getState(config)).values.decision)
    expect((await graph.getState(config)).values.decision).toEqual({ approved: true, note: 'dup charge' })
    // The node ran again on resume (LangGraph re-executes it) but asked nobody twice.
    expect(counts).toEqual({ asked: 2, afterAnswer: 1 })
    expect((await hp.api('GET', '/v1/checkpoints?limit=100')).body.items.filter((c: { task: string }) => c.task === 'Refund $250?')).toHaveLength(1)
    await eventually(async () => (await auditOf(id)).some((e) => e.kind === 'resumed'))

    // A second delivery (an operator's forced re-drive) finds the interrupt answered: 200, graph untouched.
    expect((await hp.api('POST', `/v1/checkpoints/${id}/resume?force=true`)).status).toBe(202)
    await eventually(async () => (await auditOf(id)).filter((e) => e.kind === 'resumed').length === 2)
    await receiver.idle()
    expect(answers.filter((a) => a.body.checkpointId === id).map((a) => a.body.outcome)).toEqual(['resuming', 'already-resumed'])
    expect(counts).toEqual({ asked: 2, afterAnswer: 1 })
  })

  it('gives two threads two checkpoints, and refuses a forged webhook', async () => {
    const a = interruptOf(await graph.invoke({ amountUsd: 251 }, { configurable: { thread_id: `a-${Date.now()}` } }))
    const b = interruptOf(await graph.invoke({ amountUsd: 251 }, { configurable: { thread_id: `b-${Date.now()}` } }))
    expect(a.holdpointCheckpointId).not.toBe(b.holdpointCheckpointId)
    const forged = await receiver.handle({ headers: { 'webhook-id': 'x', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' }, body: '{}' })
    expect(forged.status).toBe(401)
    await hp.api('POST', `/v1/checkpoints/${a.holdpointCheckpointId}/cancel`)
    await hp.api('POST', `/v1/checkpoints/${b.holdpointCheckpointId}/cancel`)
  })
})

describe('resume.langgraph (Holdpoint → LangGraph Platform API)', () => {
  const threads = new Map<string, { status: string; interrupts: Record<string, unknown[]> }>()
  const api: JsonServer = new JsonServer((req) => {
    const [, , threadId, runs] = req.path.split('/')
    const thread = threads.get(threadId ?? '')
    if (!thread) return { status: 404, body: { detail: 'Thread not found' } }
    if (req.method === 'GET' && !runs) return { status: 200, body: { thread_id: threadId, status: thread.status, interrupts: thread.interrupts, metadata: {}, values: {} } }
    if (req.method === 'POST' && runs === 'runs') {
      // The run takes the resume and the graph finishes: the interrupt is gone.
      threads.set(threadId!, { status: 'idle', interrupts: {} })
      return { status: 200, body: { run_id: `run-${api.received.length}`, thread_id: threadId, assistant_id: 'agent', status: 'pending', metadata: {} } }
    }
    return { status: 405 }
  })
  beforeAll(async () => void (await api.start()))
  afterAll(async () => api.close())

  it('creates a run with command.resume, the API key, and does not resume twice on re-drive', async () => {
    const threadId = `thread-${Date.now()}`
    const res = await hp.api('POST', '/v1/checkpoints', {
      task: 'Publish?',
      responseSchema: approvalSchema,
      resume: { langgraph: { apiUrl: api.url, threadId, assistantId: 'agent', apiKey: 'lsv2-test-key' } },
    })
    expect(res.status).toBe(201)
    const id = res.body.id as string
    threads.set(threadId, { status: 'interrupted', interrupts: { task1: [{ id: 'i1', value: { holdpointCheckpointId: id, task: 'Publish?', link: '' } }] } })
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    const resumed = await eventually(async () => (await auditOf(id)).find((e) => e.kind === 'resumed'))
    expect(resumed.data).toMatchObject({ target: 'langgraph', threadId, runId: expect.any(String) })
    const posts = api.received.filter((r) => r.method === 'POST')
    expect(posts).toHaveLength(1)
    expect(posts[0]!.path).toBe(`/threads/${threadId}/runs`)
    expect(posts[0]!.headers['x-api-key']).toBe('lsv2-test-key')
    expect(posts[0]!.body).toMatchObject({
      assistant_id: 'agent',
      command: { resume: { type: 'checkpoint.resolved', data: { checkpointId: id, state: 'resolved', response: { approved: true } } } },
      multitask_strategy: 'reject',
      metadata: { holdpointCheckpointId: id, holdpointMessageId: `msg_${id}` },
    })
    expect(JSON.stringify(await auditOf(id))).not.toContain('lsv2-test-key')

    expect((await hp.api('POST', `/v1/checkpoints/${id}/resume?force=true`)).status).toBe(202)
    const again = await eventually(async () => (await auditOf(id)).filter((e) => e.kind === 'resumed')[1])
    expect(again.data).toMatchObject({ alreadyResumed: true })
    expect(api.received.filter((r) => r.method === 'POST')).toHaveLength(1)
  })

  it('retries while the thread is busy and stops, audited, when it does not exist', async () => {
    const threadId = `busy-${Date.now()}`
    threads.set(threadId, { status: 'busy', interrupts: {} })
    const busy = await hp.api('POST', '/v1/checkpoints', { task: 'Busy?', responseSchema: approvalSchema, resume: { langgraph: { apiUrl: api.url, threadId, assistantId: 'agent' } } })
    threads.get(threadId)!.interrupts = { t: [{ value: { holdpointCheckpointId: busy.body.id } }] }
    await hp.api('POST', `/v1/checkpoints/${busy.body.id}/cancel`)
    await eventually(async () => api.received.filter((r) => r.path === `/threads/${threadId}`).length >= 2)
    threads.get(threadId)!.status = 'interrupted'
    await eventually(async () => (await auditOf(busy.body.id)).some((e) => e.kind === 'resumed'))

    const gone = await hp.api('POST', '/v1/checkpoints', { task: 'Gone?', responseSchema: approvalSchema, resume: { langgraph: { apiUrl: api.url, threadId: 'nope', assistantId: 'agent' } } })
    await hp.api('POST', `/v1/checkpoints/${gone.body.id}/cancel`)
    const failed = await eventually(async () => (await auditOf(gone.body.id)).find((e) => e.kind === 'resume.failed'))
    expect(failed.data).toMatchObject({ target: 'langgraph', final: true, status: 404 })
  })
})
