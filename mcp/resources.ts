import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import { AgentApiError, type AgentApi } from './agent-api.js'

export const CHECKPOINT_URI_TEMPLATE = 'holdpoint://checkpoints/{id}'

/** `holdpoint://checkpoints/{id}`: the checkpoint as `GET /v1/checkpoints/:id` returns it. */
export function registerCheckpointResource(server: McpServer, api: AgentApi): void {
  server.registerResource(
    'checkpoint',
    new ResourceTemplate(CHECKPOINT_URI_TEMPLATE, { list: undefined }),
    {
      title: 'Holdpoint checkpoint',
      description: 'A question asked with ask_human or approve_tool_use: its state, the answer and who gave it (JSON).',
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const raw = variables.id
      const id = Array.isArray(raw) ? (raw[0] ?? '') : (raw ?? '')
      try {
        const doc = await api.get(decodeURIComponent(id))
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(doc, null, 2) }] }
      } catch (error) {
        // -32002 is the spec's "resource not found".
        if (error instanceof AgentApiError && error.status === 404) throw new McpError(-32002, error.message, { uri: uri.href })
        if (error instanceof AgentApiError) throw new McpError(ErrorCode.InvalidRequest, error.message)
        throw error
      }
    },
  )
}
