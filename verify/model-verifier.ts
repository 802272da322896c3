import { verifyWithModel, type StructuredModel } from './structured-model.js'
import type { Verifier } from './verifier.js'

/** An LLM verifier (`anthropic`, `openai`): the agent's instructions judge the answer. */
export function modelVerifier(model: StructuredModel): Verifier {
  return {
    name: model.provider,
    verify: (input, target) => verifyWithModel(model, input, target.model),
  }
}
