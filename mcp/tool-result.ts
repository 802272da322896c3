import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { AgentApiError } from './agent-api.js'

/**
 * A refusal becomes a tool result the model can read and act on (isError), never a
 * protocol error: the model asked for something the API would not do, and should be told why.
 */
export function errorResult(error: unknown): CallToolResult {
  const text =
    error instanceof AgentApiError
      ? error.message
      : `Holdpoint could not be reached or failed: ${error instanceof Error ? error.message : String(error)}`
  return { isError: true, content: [{ type: 'text', text }] }
}

/** Runs a tool body, turning any failure into an error result. */
export async function guarded(work: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await work()
  } catch (error) {
    return errorResult(error)
  }
}
