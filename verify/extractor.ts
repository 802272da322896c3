import type { LoadedCheckpoint } from '../engine/checkpoint-store.js'
import { valueProblems } from '../engine/json-schema.js'
import type { FreeTextReader, ProposedAnswer } from '../plugins/free-text-reader.js'
import { extractWithModel } from './structured-model.js'
import { VerifierMisconfigured } from './verdict.js'
import type { VerifierSet } from './verifier-set.js'
import { extractInputOf } from './verify-input.js'

/**
 * Free text → typed answer: the model proposes, the JSON Schema decides. Whatever the model
 * says, an answer that does not fit `responseSchema` is never offered.
 */
export class FreeTextExtractor implements FreeTextReader {
  constructor(private readonly verifiers: VerifierSet) {}

  availableFor(cp: LoadedCheckpoint): boolean {
    return this.verifiers.extractionModel(cp.request) !== null
  }

  /** Throws VerifierUnavailable (retry later) or VerifierMisconfigured (no model configured). */
  async extract(cp: LoadedCheckpoint, text: string): Promise<ProposedAnswer> {
    const chosen = this.verifiers.extractionModel(cp.request)
    if (!chosen) throw new VerifierMisconfigured('no model is configured to read free text (set ANTHROPIC_API_KEY or OPENAI_API_KEY)')
    const read = await extractWithModel(chosen.model, extractInputOf(cp, text), chosen.name)
    if (!read.understood) return { answer: null, valid: false, problems: [], reason: read.reason, model: read.model ?? null }
    const problems = await valueProblems(cp.request.responseSchema, read.answer, '/response')
    return { answer: read.answer, valid: problems.length === 0, problems, reason: read.reason, model: read.model ?? null }
  }
}
