import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent, Runner, tool, Usage, type Model, type ModelProvider, type ModelRequest, type ModelResponse } from '@openai/agents'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { openAIAgentsResumeReceiver, requestApprovals, type ApprovalReceiverAnswer, type OpenAIAgentsResumeReceiver, type RunStateStore } from '../../sdk/openai-agents.js'
import { deleteKeys, eventually, startHoldpoint, testRedisUrl, type TestHoldpoint } from '../support/holdpoint.js'

// A scripted model: asks for the refund tool, then reports what the tool (or its refusal) said.
class ScriptedModel implements Model {
  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = Array.isArray(request.input) ? request.input : []
    const result = items.find((i) => 'type' in i && i.type === 'function_call_result') as { output?: unknown } | undefined
    if (!result) {
      return {
        usage: new Usage(),
        output: [{ type: 'function_call', callId: 'call_refund_1', name: 'refund', arguments: JSON.stringify({ customerId: 'cus_42', amountUsd: 250 }), status: 'completed' }],
      }
    }
    const output = result.output as string | { text?: string }
    const text = typeof output === 'string' ? output : (output.text ?? JSON.stringify(output))
    return { usage: new Usage(), output: [{ type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: `done: ${text}` }] }] }
  }
  // eslint-disable-next-line require-yield
  async *getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not scripted')
  }
}
const provider: ModelProvider = { getModel: () => new ScriptedModel() }
const runner = new Runner({ modelProvider: provider, tracingDisabled: true })

const refunds: Array<{ customerId: string; amountUsd: number }> = []
const agent = new Agent({
  name: 'refund-agent',
  instructions: 'Refund customers when asked.',
  model: 'scripted',
  tools: [
    tool({
      name: 'refund',
      description: 'Refund a customer',
      parameters: z.object({ customerId: z.string(), amountUsd: z.number() }),
      needsApproval: true,
      execute: async (input) => {
        refunds.push(input)
        return `refunded $${input.amountUsd} to ${input.customerId}`
      },
    }),
  ],
})

const saved = new Map<string, string>()
const store: RunStateStore = { load: async (k) => saved.get(k), save: async (k, v) => void saved.set(k, v) }
const finished = new Map<string, unknown>()
let hp: TestHoldpoint
let hookServer: Server
let hookUrl = ''
let receiver: OpenAIAgentsResumeReceiver
const answers: ApprovalReceiverAnswer[] = []

beforeAll(async () => {
  hp = await startHoldpoint()
  hookServer = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      void receiver.handle({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') }).then((answer) => {
        answers.push(answer)
        res.writeHead(answer.status).end(JSON.stringify(answer.body))
      })
    })
  })
  await new Promise<void>((resolve) => hookServer.listen(0, '127.0.0.1', resolve))
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/approvals`
  receiver = openAIAgentsResumeReceiver({
    agent,
    secret: hp.config.webhookSecret,
    store,
    run: (a, state) => runner.run(a, state),
    next: { url: hp.url, token: hp.token, resume: { webhook: { url: hookUrl } } },
    onFinished: (runId, result) => void finished.set(runId, result.finalOutput),
  })
})
afterAll(async () => {
  await receiver.idle()
  hookServer.closeAllConnections()
  await new Promise<void>((resolve) => hookServer.close(() => resolve()))
  await hp.close()
  await deleteKeys(testRedisUrl(), hp.prefix)
})

const auditOf = async (id: string) => (await hp.api('GET', `/v1/checkpoints/${id}/audit`)).body.entries as Array<{ kind: string }>

async function startRun(runId: string) {
  const result = await runner.run(agent, 'Refund cus_42 for the duplicate charge.')
  expect(result.interruptions).toHaveLength(1)
  const [checkpointId] = await requestApprovals(result, { runId, store, url: hp.url, token: hp.token, resume: { webhook: { url: hookUrl } } })
  return checkpointId!
}

describe('@openai/agents approvals through Holdpoint', () => {
  it('turns a needsApproval call into a checkpoint; approval through Holdpoint continues the run and runs the tool once', async () => {
    const runId = `run-${Date.now()}`
    const id = await startRun(runId)
    const cp = await hp.api('GET', `/v1/checkpoints/${id}`)
    expect(cp.body).toMatchObject({ task: 'Allow the agent to call refund?', payload: { tool: 'refund', arguments: { customerId: 'cus_42', amountUsd: 250 } }, metadata: { openaiAgents: { runId, callId: 'call_refund_1' } } })
    expect(refunds).toHaveLength(0)

    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: true }, actor: 'ana' })
    await eventually(async () => finished.get(runId))
    expect(finished.get(runId)).toBe('done: refunded $250 to cus_42')
    expect(refunds).toHaveLength(1)

    // A forced re-drive re-delivers the answer: acknowledged, nothing runs again.
    await eventually(async () => (await auditOf(id)).some((e) => e.kind === 'resumed'))
    expect((await hp.api('POST', `/v1/checkpoints/${id}/resume?force=true`)).status).toBe(202)
    await eventually(async () => (await auditOf(id)).filter((e) => e.kind === 'resumed').length === 2)
    await receiver.idle()
    expect(answers.filter((a) => a.body.runId === runId).map((a) => a.body.outcome)).toEqual(['continuing', 'duplicate'])
    expect(refunds).toHaveLength(1)
  })

  it('a rejection with a note reaches the model as the refusal, and the tool never runs', async () => {
    const before = refunds.length
    const runId = `run-no-${Date.now()}`
    const id = await startRun(runId)
    await hp.api('POST', `/v1/checkpoints/${id}/response`, { response: { approved: false, note: 'Already refunded last week' }, actor: 'ana' })
    await eventually(async () => finished.get(runId))
    expect(finished.get(runId)).toContain('Already refunded last week')
    expect(refunds).toHaveLength(before)
  })
})
