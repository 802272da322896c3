import type { StoredRequest } from '../engine/stored-request.js'
import { anthropicModel } from './anthropic-model.js'
import { modelVerifier } from './model-verifier.js'
import { openaiModel } from './openai-model.js'
import type { StructuredModel } from './structured-model.js'
import { functionVerifier, type Verifier, type VerifierFunction } from './verifier.js'
import { webhookVerifier } from './webhook-verifier.js'

/** The model providers' own variable names (their SDKs read the same ones). */
export interface ProviderKeys {
  ANTHROPIC_API_KEY?: string | undefined
  ANTHROPIC_BASE_URL?: string | undefined
  OPENAI_API_KEY?: string | undefined
  OPENAI_BASE_URL?: string | undefined
}

export interface VerifierSetOptions {
  env: ProviderKeys & { HOLDPOINT_VERIFY_MODELS?: string | undefined }
  webhookSecret: string
  /** HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS: the webhook verifier may call private addresses. */
  allowPrivateWebhooks?: boolean
  functions?: Readonly<Record<string, VerifierFunction>>
}

/**
 * The verifiers this process can run: a model provider only when its key is configured, the
 * webhook verifier always, and any local functions the embedder passed.
 */
/** `HOLDPOINT_VERIFY_MODELS=claude-…,gpt-…` as a list of names. */
export function parseModelList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
}

export class VerifierSet {
  private readonly verifiers = new Map<string, Verifier>()
  /** Models in order of preference for reading free text when the checkpoint names none. */
  private readonly models: StructuredModel[] = []
  /** Model names a checkpoint may ask for (HOLDPOINT_VERIFY_MODELS plus each provider's default). */
  private readonly allowedModels: ReadonlySet<string>

  constructor(options: VerifierSetOptions) {
    const { env } = options
    if (env.ANTHROPIC_API_KEY) this.models.push(anthropicModel({ apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL }))
    if (env.OPENAI_API_KEY) this.models.push(openaiModel({ apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL }))
    this.allowedModels = new Set([...parseModelList(env.HOLDPOINT_VERIFY_MODELS), ...this.models.map((m) => m.defaultModel)])
    for (const model of this.models) this.add(modelVerifier(model, (name) => this.allowedModels.has(name)))
    this.add(webhookVerifier(options.webhookSecret, fetch, { allowPrivate: options.allowPrivateWebhooks ?? false }))
    for (const [name, fn] of Object.entries(options.functions ?? {})) this.add(functionVerifier(name, fn))
  }

  private add(verifier: Verifier): void {
    this.verifiers.set(verifier.name, verifier)
  }

  get(provider: string): Verifier | undefined {
    return this.verifiers.get(provider)
  }

  names(): string[] {
    return [...this.verifiers.keys()]
  }

  /** The model names a request's `verify.model` may use; anything else is refused at create. */
  modelNames(): string[] {
    return [...this.allowedModels]
  }

  /**
   * The model that reads free text for a checkpoint: its own model verifier (with the model
   * it named) when it has one, else the first configured provider. Null when none is set up.
   */
  extractionModel(request: Pick<StoredRequest, 'verify'>): { model: StructuredModel; name?: string } | null {
    const own = this.models.find((m) => m.provider === request.verify?.provider)
    // Money is spent per call: a named model only from the allow-list, else the default.
    const named = request.verify?.model
    if (own) return { model: own, ...(named !== undefined && this.allowedModels.has(named) && { name: named }) }
    const first = this.models[0]
    return first ? { model: first } : null
  }
}
