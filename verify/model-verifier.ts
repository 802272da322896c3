import { verifyWithModel, type StructuredModel } from './structured-model.js'
import type { Verifier } from './verifier.js'

/**
 * An LLM verifier (`anthropic`, `openai`): the agent's instructions judge the answer. A model
 * the checkpoint names is used only when `allowed` says so (HOLDPOINT_VERIFY_MODELS); any
 * other name falls back to the provider's configured default.
 */
export function modelVerifier(model: StructuredModel, allowed: (name: string) => boolean = () => false): Verifier {
  return {
    name: model.provider,
    verify: (input, target) => verifyWithModel(model, input, target.model !== undefined && allowed(target.model) ? target.model : undefined),
  }
}
