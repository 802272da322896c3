import { createHash } from 'node:crypto'
import { Connection, defaultPayloadConverter, isGrpcServiceError } from '@temporalio/client'
import type { OutboundGuard } from '../engine/outbound.js'
import { assertPublicDestination, PrivateDestinationError } from '../engine/webhook-address.js'
import { ResumeRejected, type ResumeTarget } from '../plugins/resume-target.js'

/** The signal a Holdpoint-aware workflow listens for (see holdpoint/sdk/temporal). */
export const DEFAULT_TEMPORAL_SIGNAL = 'holdpoint.resolved'
const DEFAULT_NAMESPACE = 'default'
const CONNECT_TIMEOUT_MS = 10_000
const CALL_TIMEOUT_MS = 10_000
// gRPC status codes (@grpc/grpc-js `status`), named here to keep grpc-js out of the import list.
const NOT_FOUND = 5
const INVALID_ARGUMENT = 3
const GRPC_CODE_NAMES: Record<number, string> = { [INVALID_ARGUMENT]: 'INVALID_ARGUMENT', [NOT_FOUND]: 'NOT_FOUND' }

export interface TemporalTarget extends ResumeTarget {
  close(): Promise<void>
}

/**
 * Temporal dedupes a signal by its request id; the client's `handle.signal()` makes a random
 * one per call, so Holdpoint derives a UUID from the resume message id instead and every
 * retry of one resume is the same signal to the server.
 */
export function signalRequestId(messageId: string): string {
  const h = createHash('sha256').update(`holdpoint-temporal:${messageId}`).digest('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`
}

/**
 * `resume.temporal`: signals the waiting workflow with the resume event as the one argument.
 * A workflow that no longer exists (NOT_FOUND) or a refused request (INVALID_ARGUMENT) will
 * not change on retry and stops with an audited failure; everything else is retried.
 * The address is checked against the SSRF guard after DNS before each call (gRPC follows no
 * redirects), and the audit gets the gRPC status name, never the server's own words.
 */
export function temporalTarget(guard: OutboundGuard = { allowPrivate: false }): TemporalTarget {
  const connections = new Map<string, Promise<Connection>>()

  function connectionTo(address: string): Promise<Connection> {
    let connection = connections.get(address)
    if (!connection) {
      connection = Connection.connect({ address, connectTimeout: CONNECT_TIMEOUT_MS })
      // A failed connect is not cached: the next attempt dials again.
      void connection.catch(() => connections.delete(address))
      connections.set(address, connection)
    }
    return connection
  }

  return {
    name: 'temporal',
    async resume(event, spec, { messageId }) {
      if (!('temporal' in spec)) throw new Error('temporalTarget called for another target')
      const { address, workflowId, runId } = spec.temporal
      const namespace = spec.temporal.namespace ?? DEFAULT_NAMESPACE
      const signalName = spec.temporal.signal ?? DEFAULT_TEMPORAL_SIGNAL
      const requestId = signalRequestId(messageId)
      const detail = { workflowId, namespace, signal: signalName, requestId }
      if (!guard.allowPrivate) {
        await assertPublicDestination(`http://${address}`, guard.resolve).catch((error: unknown) => {
          if (error instanceof PrivateDestinationError) throw new ResumeRejected(error.message, { ...detail, refused: 'private-destination' })
          throw error
        })
      }
      const connection = await connectionTo(address)
      try {
        await connection.withDeadline(Date.now() + CALL_TIMEOUT_MS, () =>
          connection.workflowService.signalWorkflowExecution({
            namespace,
            workflowExecution: { workflowId, ...(runId !== undefined && { runId }) },
            signalName,
            input: { payloads: [defaultPayloadConverter.toPayload(event)] },
            identity: 'holdpoint',
            requestId,
          }),
        )
        return { detail }
      } catch (error) {
        if (isGrpcServiceError(error) && [NOT_FOUND, INVALID_ARGUMENT].includes(Number(error.code))) {
          const code = Number(error.code)
          throw new ResumeRejected(`Temporal refused the signal (${GRPC_CODE_NAMES[code] ?? code})`, { ...detail, grpcCode: error.code })
        }
        // grpc-js messages quote the server's details; keep the status code only.
        // eslint-disable-next-line preserve-caught-error
        if (isGrpcServiceError(error)) throw new Error(`the Temporal call failed (gRPC status ${Number(error.code)})`)
        throw error
      }
    },
    async close() {
      const all = [...connections.values()]
      connections.clear()
      await Promise.all(all.map((c) => c.then((conn) => conn.close()).catch(() => undefined)))
    },
  }
}
