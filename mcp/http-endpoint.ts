// Streamable HTTP at /mcp inside the Koa app. Authentication and the per-token rate limit
// happen upstream (http/app.ts), so `ctx.state.principal` is the agent token's name.
//
// Stateless (no session id): every POST gets a fresh server and transport bound to the
// caller's principal. Nothing lives in process memory between requests, so any server
// process behind a load balancer can take any request, like the rest of /v1. A long tool
// call still streams: the POST is answered as SSE and progress notifications ride on it.
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { Middleware } from 'koa'
import type { Logger } from 'pino'
import type { AgentState } from '../http/auth.js'
import { problem } from '../plugins/web/problem.js'
import { readJson } from '../plugins/web/read-json.js'
import { inProcessAgentApi, type InProcessDeps } from './in-process-api.js'
import { mcpOptionsFromEnv, type McpOptions } from './options.js'
import { createMcpServer } from './server.js'

export const MCP_PATH = '/mcp'

export interface McpEndpointDeps extends InProcessDeps {
  bodyLimit: number
  logger: Logger
  mcp?: McpOptions
}

export function mcpEndpoint(deps: McpEndpointDeps): Middleware<AgentState> {
  const log = deps.logger.child({ component: 'mcp' })
  const options = deps.mcp ?? mcpOptionsFromEnv()
  return async (ctx, next) => {
    if (ctx.path !== MCP_PATH) {
      await next()
      return
    }
    // Stateless: there is no session stream to GET and no session to DELETE.
    if (ctx.method !== 'POST') {
      ctx.set('allow', 'POST')
      throw problem(405, 'method-not-allowed', 'Method not allowed', 'This MCP endpoint is stateless: send JSON-RPC with POST.')
    }
    // Names the route for the request metrics and log in http/app.ts (which read koa-router's field).
    Object.assign(ctx, { _matchedRoute: MCP_PATH })
    const body = await readJson(ctx, deps.bodyLimit)
    const server = createMcpServer(inProcessAgentApi(deps, ctx.state.principal), options)
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    // The transport writes the response itself (JSON or an SSE stream).
    ctx.respond = false
    ctx.status = 200
    const closed = () => {
      void transport.close().catch(() => undefined)
      void server.close().catch(() => undefined)
    }
    ctx.res.once('close', closed)
    try {
      await server.connect(transport)
      await transport.handleRequest(ctx.req, ctx.res, body)
    } catch (error) {
      log.error({ err: error instanceof Error ? error.message : String(error) }, 'mcp request failed')
      if (!ctx.res.headersSent) {
        ctx.res.writeHead(500, { 'content-type': 'application/json' })
        ctx.res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null }))
      }
    }
  }
}
