// Progress notifications for one tool call, only when the client asked for them by sending
// a progressToken (the MCP spec forbids sending progress for a token it never gave).
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js'
import type { Heartbeat } from './waiting.js'

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>

export function heartbeatFor(extra: ToolExtra, everyMs: number, describe: (elapsedSeconds: number) => string, totalSeconds?: number): Heartbeat | undefined {
  const progressToken = extra._meta?.progressToken
  if (progressToken === undefined) return undefined
  return {
    everyMs,
    beat: (elapsed) =>
      extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress: elapsed, ...(totalSeconds !== undefined && { total: totalSeconds }), message: describe(elapsed) },
      }),
  }
}
