import Anthropic from '@anthropic-ai/sdk'
import { providerFailure } from './sdk-errors.js'
import type { StructuredModel } from './structured-model.js'
import { VerifierUnavailable } from './verdict.js'

export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-4-5'
const TIMEOUT_MS = 60_000

/**
 * Anthropic Messages API with one tool and `tool_choice: { type: 'tool' }`: the model must
 * answer by calling it, so its output is the tool's `input`, an object fitting the schema.
 */
export function anthropicModel(options: { apiKey: string; baseURL?: string | undefined; defaultModel?: string }): StructuredModel {
  const client = new Anthropic({
    apiKey: options.apiKey,
    ...(options.baseURL !== undefined && { baseURL: options.baseURL }),
    // BullMQ owns retries: a 429 or outage surfaces at once and the job waits, not the worker.
    maxRetries: 0,
    timeout: TIMEOUT_MS,
  })
  const defaultModel = options.defaultModel ?? DEFAULT_ANTHROPIC_MODEL
  return {
    provider: 'anthropic',
    defaultModel,
    async complete({ prompt, name, description, schema, model }) {
      let message
      try {
        message = await client.messages.create({
          model: model ?? defaultModel,
          max_tokens: 1024,
          system: prompt.system,
          messages: [{ role: 'user', content: prompt.user }],
          tools: [{ name, description, input_schema: schema as Anthropic.Tool.InputSchema }],
          tool_choice: { type: 'tool', name },
        })
      } catch (error) {
        throw providerFailure('anthropic', error)
      }
      const call = message.content.find((block) => block.type === 'tool_use' && block.name === name)
      if (!call || call.type !== 'tool_use') throw new VerifierUnavailable(`anthropic answered without calling ${name} (stop_reason ${message.stop_reason ?? 'none'})`)
      return { value: call.input, model: message.model }
    },
  }
}
