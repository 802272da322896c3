// The AgentApi over HTTP, for `holdpoint mcp` on stdio: the agent's machine talks to a
// Holdpoint server elsewhere. Connection settings and retries are the TypeScript SDK's
// (HOLDPOINT_URL, HOLDPOINT_API_TOKEN, .data/dev.json; outages ridden out with backoff).
import { randomUUID } from 'node:crypto'
import { openTransport, problemOf, send, type HttpAnswer, type Transport } from '../sdk/http.js'
import type { ConnectionOptions } from '../sdk/types.js'
import { AgentApiError, problemText, type AgentApi, type CheckpointDoc, type CreateBody } from './agent-api.js'

const REQUEST_TIMEOUT_MS = 30_000
// Headroom on top of the server's hold before one long-poll is treated as hung.
const WAIT_GRACE_MS = 15_000
// The server's own cap on one /wait (MAX_WAIT_SECONDS in http/routes/checkpoints.ts).
const SERVER_MAX_WAIT_SECONDS = 60
// A tool call is a person-facing moment: give up on an unreachable server well before the
// SDK's five minutes, and let the model tell the user.
const UNAVAILABLE_AFTER_MS = 30_000

const path = (id: string, suffix = '') => `/v1/checkpoints/${encodeURIComponent(id)}${suffix}`

function checkpointOf(answer: HttpAnswer, ok: readonly number[]): CheckpointDoc {
  if (ok.includes(answer.status) && typeof answer.body === 'object' && answer.body !== null) return answer.body as CheckpointDoc
  throw new AgentApiError(answer.status, problemText(answer.status, problemOf(answer)))
}

export async function httpAgentApi(options: ConnectionOptions = {}): Promise<AgentApi> {
  const transport: Transport = await openTransport({ unavailableAfterMs: UNAVAILABLE_AFTER_MS, ...options })
  const withSignal = (signal: AbortSignal | undefined): Transport => (signal === undefined ? transport : { ...transport, signal })

  return {
    async create(body: CreateBody, idempotencyKey?: string) {
      // Always keyed: a retry after a lost answer must replay the checkpoint, not ask twice.
      const headers = { 'idempotency-key': idempotencyKey ?? randomUUID() }
      const answer = await send(transport, { method: 'POST', path: '/v1/checkpoints', body, headers, timeoutMs: REQUEST_TIMEOUT_MS })
      return checkpointOf(answer, [200, 201])
    },
    async get(id) {
      return checkpointOf(await send(transport, { method: 'GET', path: path(id), timeoutMs: REQUEST_TIMEOUT_MS }, id), [200])
    },
    async wait(id, seconds, signal) {
      const hold = Math.max(0, Math.min(Math.ceil(seconds), SERVER_MAX_WAIT_SECONDS))
      const request = { method: 'GET' as const, path: path(id, `/wait?timeoutSeconds=${hold}`), timeoutMs: hold * 1000 + WAIT_GRACE_MS }
      return checkpointOf(await send(withSignal(signal), request, id), [200])
    },
    async cancel(id, reason) {
      const body = reason === undefined ? {} : { reason }
      const answer = await send(transport, { method: 'POST', path: path(id, '/cancel'), body, timeoutMs: REQUEST_TIMEOUT_MS }, id)
      return checkpointOf(answer, [200])
    },
  }
}
