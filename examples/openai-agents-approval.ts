// An @openai/agents run whose `refund` tool needs a person's approval. The run pauses, each
// approval becomes a Holdpoint checkpoint, and the resume webhook continues the run.
//
//   npm start                                   # dev mode prints HOLDPOINT_WEBHOOK_SECRET
//   OPENAI_API_KEY=… HOLDPOINT_WEBHOOK_SECRET=whsec_… npx tsx examples/openai-agents-approval.ts
import { createServer } from 'node:http'
import { Agent, run, tool } from '@openai/agents'
import { z } from 'zod'
import { openAIAgentsResumeReceiver, requestApprovals, type RunStateStore } from 'holdpoint/sdk/openai-agents'

const PORT = 3002
const resume = { webhook: { url: `http://127.0.0.1:${PORT}/approvals` } }

const agent = new Agent({
  name: 'refund-agent',
  instructions: 'Refund customers when asked. Use the refund tool.',
  tools: [
    tool({
      name: 'refund',
      description: 'Refund a customer',
      parameters: z.object({ customerId: z.string(), amountUsd: z.number() }),
      needsApproval: true,
      execute: ({ customerId, amountUsd }) => `refunded $${amountUsd} to ${customerId}`, // call the payment provider here
    }),
  ],
})

// Any durable key-value store works (Redis, a table); a Map only survives while this runs.
const saved = new Map<string, string>()
const store: RunStateStore = {
  load: (k) => Promise.resolve(saved.get(k)),
  save: (k, v) => Promise.resolve(void saved.set(k, v)),
}

const receiver = openAIAgentsResumeReceiver({
  agent,
  secret: process.env.HOLDPOINT_WEBHOOK_SECRET ?? '',
  store,
  run: (a, state) => run(a, state),
  next: { resume },
  onFinished: (runId, result) => console.log(`${runId}:`, result.finalOutput),
  onError: (error, runId) => console.error(`${runId} failed`, error),
})
createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    receiver
      .handle({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      .then((answer) => res.writeHead(answer.status).end(JSON.stringify(answer.body)))
      .catch((error: unknown) => res.writeHead(500).end(String(error)))
  })
}).listen(PORT)

const result = await run(agent, 'Refund cus_42 $250 for the duplicate charge.')
const asked = await requestApprovals(result, { runId: `refund-${Date.now()}`, store, resume })
console.log(asked.length > 0 ? `Waiting for approval of ${asked.join(', ')}` : result.finalOutput)
