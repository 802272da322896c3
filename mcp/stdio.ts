// `holdpoint mcp`: the MCP server on stdin/stdout for a local agent, talking to a Holdpoint
// server over HTTP. stdout carries MCP frames only; anything for a person goes to stderr.
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { httpAgentApi } from './http-api.js'
import { mcpOptionsFromEnv } from './options.js'
import { createMcpServer } from './server.js'

export async function runStdioServer(): Promise<void> {
  // Found like the SDK: HOLDPOINT_URL / HOLDPOINT_API_TOKEN, then .data/dev.json.
  const api = await httpAgentApi()
  const server = createMcpServer(api, mcpOptionsFromEnv())
  const transport = new StdioServerTransport()
  // The client closing our stdin is how it says goodbye.
  process.stdin.once('end', () => {
    void server.close().finally(() => process.exit(0))
  })
  await server.connect(transport)
  process.stderr.write('holdpoint mcp: serving on stdio\n')
}
