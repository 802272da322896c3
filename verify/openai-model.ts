import OpenAI from 'openai'
import { providerFailure } from './sdk-errors.js'
import type { StructuredModel } from './structured-model.js'
import { VerifierUnavailable } from './verdict.js'

export const DEFAULT_OPENAI_MODEL = 'gpt-4.1-mini'
const TIMEOUT_MS = 60_000

/**
 * OpenAI Chat Completions with `response_format: json_schema, strict: true`: the message
 * content is JSON that fits the schema, or the model says it refuses (`message.refusal`).
 */
export function openaiModel(options: { apiKey: string; baseURL?: string | undefined; defaultModel?: string }): StructuredModel {
  const client = new OpenAI({
    apiKey: options.apiKey,
    ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
    maxRetries: 0,
    timeout: TIMEOUT_MS,
  })
  const defaultModel = options.defaultModel ?? DEFAULT_OPENAI_MODEL
  return {
    provider: 'openai',
    defaultModel,
    async complete({ prompt, name, description, schema, model }) {
      let completion
      try {
        completion = await client.chat.completions.create({
          model: model ?? defaultModel,
          max_completion_tokens: 1024,
          messages: [
            { role: 'system', content: prompt.system },
            { role: 'user', content: prompt.user },
          ],
          response_format: { type: 'json_schema', json_schema: { name, description, strict: true, schema } },
        })
      } catch (error) {
        throw providerFailure('openai', error)
      }
      const message = completion.choices[0]?.message
      if (!message) throw new VerifierUnavailable('openai answered without a choice')
      if (message.refusal) throw new VerifierUnavailable('openai refused to answer')
      if (!message.content) throw new VerifierUnavailable(`openai answered without content (finish_reason ${completion.choices[0]?.finish_reason ?? 'none'})`)
      let value: unknown
      try {
        value = JSON.parse(message.content) as unknown
      } catch {
        throw new VerifierUnavailable('openai answered with content that is not JSON')
      }
      return { value, model: completion.model }
    },
  }
}
