import { z } from 'zod'
import { extractPrompt, verifyPrompt, type Prompt } from './prompt.js'
import { VerifierUnavailable, type ExtractInput, type Extraction, type ModelVerdict, type VerifyInput } from './verdict.js'

/**
 * A model that must answer with one JSON object fitting `schema` (Anthropic: a forced tool
 * call; OpenAI: a strict json_schema response format). Providers differ only in this call.
 */
export interface StructuredModel {
  readonly provider: 'anthropic' | 'openai'
  readonly defaultModel: string
  complete(request: { prompt: Prompt; name: string; description: string; schema: Record<string, unknown>; model?: string }): Promise<{ value: unknown; model: string }>
}

// The answer travels as JSON text: the agent's response schema is arbitrary, and a strict
// structured-output schema must stay fixed and fully required. It is parsed and checked after.
const VERDICT_OUTPUT = {
  type: 'object',
  properties: {
    passed: { type: 'boolean', description: 'true only when the answer satisfies the agent policy' },
    reason: { type: 'string', description: 'one or two sentences for the person' },
    response_json: { type: ['string', 'null'], description: 'a corrected answer as JSON text, or null' },
  },
  required: ['passed', 'reason', 'response_json'],
  additionalProperties: false,
}

const EXTRACT_OUTPUT = {
  type: 'object',
  properties: {
    understood: { type: 'boolean', description: 'true when the words clearly give every required field' },
    answer_json: { type: ['string', 'null'], description: 'the answer as JSON text fitting the response schema, or null' },
    reason: { type: 'string', description: 'one short sentence for the person' },
  },
  required: ['understood', 'answer_json', 'reason'],
  additionalProperties: false,
}

const verdictOutput = z.object({ passed: z.boolean(), reason: z.string().trim().min(1).max(2000), response_json: z.string().nullable().optional() })
const extractOutput = z.object({ understood: z.boolean(), answer_json: z.string().nullable().optional(), reason: z.string().trim().min(1).max(1000) })

function parseJsonText(text: string | null | undefined, what: string): unknown {
  if (text === null || text === undefined || text.trim() === '') return undefined
  try {
    return JSON.parse(text) as unknown
  } catch {
    throw new VerifierUnavailable(`the model returned ${what} that is not JSON`)
  }
}

function checked<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value)
  if (!parsed.success) throw new VerifierUnavailable(`the model returned a malformed ${what}: ${z.prettifyError(parsed.error)}`)
  return parsed.data
}

export async function verifyWithModel(model: StructuredModel, input: VerifyInput, modelName?: string): Promise<ModelVerdict> {
  const prompt = verifyPrompt({
    instructions: input.instructions,
    attempt: input.attempt,
    redacted: input.redacted,
    data: {
      task: input.task,
      ...(input.payload !== undefined && { payload: input.payload }),
      responseSchema: input.responseSchema,
      answer: input.answer,
    },
  })
  const out = await model.complete({
    prompt,
    name: 'record_verdict',
    description: 'Record whether the answer satisfies the agent policy.',
    schema: VERDICT_OUTPUT,
    ...(modelName !== undefined && { model: modelName }),
  })
  const verdict = checked(verdictOutput, out.value, 'verdict')
  const response = parseJsonText(verdict.response_json, 'a corrected answer')
  return { passed: verdict.passed, reason: verdict.reason, ...(response !== undefined && { response }), model: out.model }
}

export async function extractWithModel(model: StructuredModel, input: ExtractInput, modelName?: string): Promise<Extraction> {
  const prompt = extractPrompt({
    redacted: input.redacted,
    data: {
      task: input.task,
      ...(input.payload !== undefined && { payload: input.payload }),
      responseSchema: input.responseSchema,
      text: input.text,
    },
  })
  const out = await model.complete({
    prompt,
    name: 'record_answer',
    description: 'Record the structured answer read from the person’s words.',
    schema: EXTRACT_OUTPUT,
    ...(modelName !== undefined && { model: modelName }),
  })
  const extraction = checked(extractOutput, out.value, 'extraction')
  const answer = extraction.understood ? parseJsonText(extraction.answer_json, 'an answer') : undefined
  return { answer: answer ?? null, understood: extraction.understood && answer !== undefined, reason: extraction.reason, model: out.model }
}
