// A LangGraph graph run in this process: the `approve` node asks a person through Holdpoint
// and the graph pauses on interrupt(); Holdpoint's signed resume webhook resumes it.
//
//   npm start                                   # dev mode prints HOLDPOINT_WEBHOOK_SECRET
//   HOLDPOINT_WEBHOOK_SECRET=whsec_… npx tsx examples/langgraph-agent.ts
import { createServer } from 'node:http'
import { Annotation, END, MemorySaver, START, StateGraph } from '@langchain/langgraph'
import { z } from 'zod'
import { askHumanInNode, langgraphResumeReceiver } from 'holdpoint/sdk/langgraph'

const PORT = 3001
const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })
const State = Annotation.Root({
  amountUsd: Annotation<number>(),
  decision: Annotation<z.infer<typeof Decision> | null>({ reducer: (_a, b) => b, default: () => null }),
})

const graph = new StateGraph(State)
  .addNode('approve', async (state) => ({
    decision: await askHumanInNode({
      task: `Refund $${state.amountUsd}?`,
      responseSchema: Decision,
      resume: { webhook: { url: `http://127.0.0.1:${PORT}/holdpoint` } },
    }),
  }))
  .addEdge(START, 'approve')
  .addEdge('approve', END)
  .compile({ checkpointer: new MemorySaver() }) // a durable checkpointer in production

const receiver = langgraphResumeReceiver({
  graph,
  secret: process.env.HOLDPOINT_WEBHOOK_SECRET ?? '',
  onError: (error) => console.error('resume failed', error),
})
createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    receiver
      .handle({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') })
      .then(async (answer) => {
        res.writeHead(answer.status).end(JSON.stringify(answer.body))
        await receiver.idle()
        const { values } = (await graph.getState(config)) as { values: typeof State.State }
        console.log('graph finished:', values.decision)
      })
      .catch((error: unknown) => res.writeHead(500).end(String(error)))
  })
}).listen(PORT)

const config = { configurable: { thread_id: 'refund-cus_42' } }
const paused = (await graph.invoke({ amountUsd: 250 }, config)) as { __interrupt__?: Array<{ value: unknown }> }
console.log('paused on', paused.__interrupt__?.[0]?.value)
