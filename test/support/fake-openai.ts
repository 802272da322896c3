import type { IncomingMessage } from 'node:http'
import { FakeModelServer } from './fake-model.js'

/**
 * A local server speaking the OpenAI Chat Completions API (`POST /v1/chat/completions`): it
 * checks the bearer key and that the request asks for a strict `json_schema` response
 * format, and answers with a message whose content is the brain's JSON. Point
 * OPENAI_BASE_URL at `url + '/v1'`.
 */
export class FakeOpenAI extends FakeModelServer {
  protected route(req: IncomingMessage, body: any) {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return { status: 404, body: this.errorBody(404) }
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return { status: 401, body: this.errorBody(401) }
    const format = body.response_format
    if (format?.type !== 'json_schema' || format.json_schema?.strict !== true || typeof format.json_schema.name !== 'string') {
      throw new Error('the fake expects a strict json_schema response format')
    }
    const schema = format.json_schema.schema
    if (schema?.additionalProperties !== false || JSON.stringify([...schema.required].sort()) !== JSON.stringify(Object.keys(schema.properties).sort())) {
      throw new Error('a strict schema needs every property required and additionalProperties false')
    }
    const messages = body.messages as Array<{ role: string; content: string }>
    const system = messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content).join('\n')
    const user = messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n')
    const model = `${String(body.model)}-2099-01-01`
    const out = this.think(format.json_schema.name, system, user, model, JSON.stringify(body))
    return {
      status: 200,
      body: {
        id: `chatcmpl-${this.calls.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: JSON.stringify(out), refusal: null, annotations: [] }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
        system_fingerprint: 'fp_fake',
      },
    }
  }

  protected errorBody(status: number) {
    const code = status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : status === 401 ? 'invalid_api_key' : 'invalid_request_error'
    return { error: { message: `fake ${code}`, type: code, param: null, code } }
  }
}
