// A service that already runs BullMQ workers gets its answers as jobs on its own queue.
//
//   npm start                            # dev mode writes .data/dev.json with a token
//   npx tsx examples/queue-agent.ts      # asks, then its worker receives the answer as a job
import { Worker } from 'bullmq'
import { Redis } from 'ioredis'
import { z } from 'zod'
import { createCheckpoint, type ResumeEvent } from 'holdpoint/sdk'

const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null })
const Decision = z.object({ approved: z.boolean(), note: z.string().optional() })

// The job id is the checkpoint's resume id, so Holdpoint's retries never add a second job.
const worker = new Worker<ResumeEvent>(
  'refund-decisions',
  async (job) => {
    const { checkpointId, state, response } = job.data.data
    const decision = state === 'resolved' ? Decision.parse(response) : null
    console.log(`${checkpointId}: ${state}`, decision ?? '')
    await worker.close()
    connection.disconnect()
  },
  { connection }, // BullMQ's default prefix `bull`; pass `prefix` in both places if you use another
)

const checkpoint = await createCheckpoint({
  task: 'Refund $250 to cus_42?',
  responseSchema: Decision,
  resume: { queue: { name: 'refund-decisions' } },
})
console.log(`Asked (${checkpoint.id}); answer at ${checkpoint.links.dashboard}`)
