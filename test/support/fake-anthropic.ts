import type { IncomingMessage } from 'node:http'
import { FakeModelServer } from './fake-model.js'

/**
 * A local server speaking the Anthropic Messages API (`POST /v1/messages`): it checks the
 * key and `anthropic-version` headers and that the request forces one tool (`tool_choice: {type:
 * 'tool'}`), and answers with a `tool_use` content block whose `input` the brain computes.
 * Point ANTHROPIC_BASE_URL at `url`.
 */
export class FakeAnthropic extends FakeModelServer {
  protected route(req: IncomingMessage, body: any) {
    if (req.method !== 'POST' || req.url !== '/v1/messages') return { status: 404, body: this.errorBody(404) }
    // The SDK sends the key as `x-api-key` or, in newer versions, as a bearer token.
    if (req.headers['x-api-key'] !== this.apiKey && req.headers.authorization !== `Bearer ${this.apiKey}`) return { status: 401, body: this.errorBody(401) }
    if (typeof req.headers['anthropic-version'] !== 'string') return { status: 400, body: this.errorBody(400) }
    const tool = body.tool_choice?.type === 'tool' ? String(body.tool_choice.name) : null
    if (!tool || !Array.isArray(body.tools) || !body.tools.some((t: any) => t.name === tool && t.input_schema?.type === 'object')) {
      throw new Error('the fake expects a forced tool call')
    }
    const user = (body.messages as any[]).filter((m) => m.role === 'user').map((m) => (typeof m.content === 'string' ? m.content : JSON.stringify(m.content))).join('\n')
    const system = typeof body.system === 'string' ? body.system : JSON.stringify(body.system ?? '')
    const model = `${String(body.model)}-20990101`
    const input = this.think(tool, system, user, model, JSON.stringify(body))
    return {
      status: 200,
      headers: { 'request-id': `req_${this.calls.length}` },
      body: {
        id: `msg_${this.calls.length}`,
        type: 'message',
        role: 'assistant',
        model,
        content: [{ type: 'tool_use', id: `toolu_${this.calls.length}`, name: tool, input }],
        stop_reason: 'tool_use',
        stop_sequence: null,
        usage: { input_tokens: 100, output_tokens: 20 },
      },
    }
  }

  protected errorBody(status: number) {
    const type = status === 429 ? 'rate_limit_error' : status === 529 ? 'overloaded_error' : status >= 500 ? 'api_error' : status === 401 ? 'authentication_error' : 'invalid_request_error'
    return { type: 'error', error: { type, message: `fake ${type}` } }
  }
}
