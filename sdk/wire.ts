// The SDK trusts nothing it did not check: a 2xx whose body is not a checkpoint (a proxy's
// HTML page, a half-written body) must fail loudly here rather than as `undefined` later.
import { z } from 'zod'
import { HoldpointProtocolError } from './errors.js'
import type { Checkpoint } from './types.js'

// Only what the SDK acts on is required; the rest of api.md's shape is passed through as-is
// so a server adding fields never breaks an older agent.
const checkpointShape = z.looseObject({
  id: z.string().min(1),
  state: z.string().min(1),
  response: z.unknown(),
  respondedBy: z.looseObject({ channel: z.string(), actor: z.string() }).nullish(),
  links: z.looseObject({ dashboard: z.string() }),
})

export function readCheckpoint(body: unknown, what: string): Checkpoint {
  const result = checkpointShape.safeParse(body)
  if (!result.success) {
    throw new HoldpointProtocolError(`${what} did not return a checkpoint: ${z.prettifyError(result.error)}`)
  }
  const data = result.data
  return { ...data, response: data.response ?? null, respondedBy: data.respondedBy ?? null } as Checkpoint
}
