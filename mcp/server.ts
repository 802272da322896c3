// One MCP server definition for both transports: the tools and the resource, over whichever
// AgentApi the transport supplies.
import { readFileSync } from 'node:fs'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { AgentApi } from './agent-api.js'
import { registerApproveToolUse } from './approve-tool-use.js'
import { registerAskTools } from './ask-tools.js'
import type { McpOptions } from './options.js'
import { registerCheckpointResource } from './resources.js'

// Source runs from mcp/, the build from dist/mcp/: look for the package file from both.
function packageVersion(): string {
  for (const candidate of ['../package.json', '../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (pkg.name === 'holdpoint' && typeof pkg.version === 'string') return pkg.version
    } catch {
      // not at this level
    }
  }
  return '0.0.0'
}

const version = packageVersion()

const INSTRUCTIONS =
  'Holdpoint puts a person in the loop. Use ask_human before irreversible or risky actions and whenever you need a human decision; ' +
  'if it returns an open state, keep calling wait_for_answer with the checkpointId instead of asking again. ' +
  'approve_tool_use is a permission prompt for tool calls.'

export function createMcpServer(api: AgentApi, options: McpOptions = {}): McpServer {
  const server = new McpServer({ name: 'holdpoint', title: 'Holdpoint', version }, { instructions: INSTRUCTIONS })
  registerAskTools(server, api, options)
  registerApproveToolUse(server, api, options)
  registerCheckpointResource(server, api)
  return server
}
