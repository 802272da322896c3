import { z } from 'zod'

/**
 * The body of `POST /v1/checkpoints` (and of an intake-queue job): the one contract every
 * entry point validates against. Field names are fixed by the design brief's api.md.
 */

const jsonObject = z.record(z.string(), z.unknown())

/**
 * The shape every recipient shares: `<channel>:<address>` or a bare channel name
 * (`dashboard`). Which channels exist and how each writes its addresses is the channel
 * plugins' business: validateCreate checks each recipient against them.
 */
export const RECIPIENT_PATTERN = /^[a-z][a-z0-9-]{0,31}(:[^\s]{1,320})?$/

const recipient = z.string().regex(RECIPIENT_PATTERN, { message: 'expected <channel>:<address> (e.g. email:ana@example.com) or dashboard' })

/** The channel a notify/assignTo string names: `email` for `email:ana@example.com`, `dashboard` for `dashboard`. */
export function channelOfRecipient(recipient: string): string {
  const colon = recipient.indexOf(':')
  return colon === -1 ? recipient : recipient.slice(0, colon)
}

/** A batch id as agents write it; it becomes part of Redis keys, so it is kept plain. */
export const BATCH_ID_PATTERN = /^[\w.-]{1,64}$/

const recipients = z.array(recipient).min(1).max(100)

const MAX_TIMEOUT_SECONDS = 60 * 60 * 24 * 90
export const DEFAULT_TIMEOUT_SECONDS = 60 * 60 * 24

const resumeSpec = z.union([
  z.object({ webhook: z.object({ url: z.url({ protocol: /^https?$/ }), secret: z.string().startsWith('whsec_').optional() }).strict() }).strict(),
  z.object({ inngest: z.object({ event: z.string().min(1).max(200).optional() }).strict() }).strict(),
  z
    .object({
      langgraph: z
        .object({ apiUrl: z.url(), threadId: z.string().min(1), assistantId: z.string().min(1), apiKey: z.string().optional() })
        .strict(),
    })
    .strict(),
  // `prefix` is the user's own BullMQ prefix (BullMQ's default 'bull'), not Holdpoint's.
  z
    .object({ queue: z.object({ name: z.string().regex(/^[\w.-]{1,100}$/), prefix: z.string().regex(/^[\w.{}-]{1,64}$/, 'letters, digits, _ . - and a {hash tag} only').optional() }).strict() })
    .strict(),
  z
    .object({
      temporal: z
        .object({
          address: z.string().regex(/^[\w.-]+:\d{1,5}$/, { message: 'expected host:port' }),
          namespace: z.string().min(1).max(255).optional(),
          workflowId: z.string().min(1).max(1000),
          runId: z.string().min(1).max(255).optional(),
          signal: z.string().min(1).max(255).optional(),
        })
        .strict(),
    })
    .strict(),
])

export const createSpecSchema = z
  .object({
    task: z.string().trim().min(1).max(4000),
    payload: z.unknown().optional(),
    /** The payload (and its schema) is never sent to a verifier or model. */
    redact: z.boolean().optional(),
    payloadSchema: jsonObject.optional(),
    responseSchema: jsonObject,
    notify: recipients.default(['dashboard']),
    assignTo: recipients.optional(),
    timeoutSeconds: z.number().int().min(1).max(MAX_TIMEOUT_SECONDS).default(DEFAULT_TIMEOUT_SECONDS),
    onTimeout: z.object({ response: z.unknown() }).strict().optional(),
    escalation: z
      .array(
        z
          .object({ afterSeconds: z.number().int().min(1), notify: recipients, assignTo: recipients.optional(), skipIfClaimed: z.boolean().optional() })
          .strict(),
      )
      .max(10)
      .optional(),
    reminders: z.object({ everySeconds: z.number().int().min(1), max: z.number().int().min(1).max(100) }).strict().optional(),
    pick: z.enum(['least-recently-assigned']).optional(),
    quorum: z.object({ approvals: z.number().int().min(1).max(50), rejectOn: z.number().int().min(1).optional() }).strict().optional(),
    verify: z
      .object({
        // `function:<name>`: a verifier function passed in by an embedding application.
        provider: z.union([z.enum(['anthropic', 'openai', 'webhook']), z.string().regex(/^function:[\w.-]{1,64}$/)]),
        instructions: z.string().min(1).max(8000),
        maxAttempts: z.number().int().min(1).max(10).default(3),
        model: z.string().optional(),
        url: z.url().optional(),
      })
      .strict()
      .optional(),
    resume: resumeSpec.optional(),
    metadata: jsonObject.optional(),
    /**
     * Lets the person answering say "decide the same for the next maxDays days": later
     * checkpoints of the same agent token with the same key are then answered at once.
     */
    remember: z.object({ key: z.string().trim().min(1).max(200), maxDays: z.number().int().min(1).max(365) }).strict().optional(),
    /**
     * Groups checkpoints one run raises together, so a person can decide them in one sitting
     * (the dashboard shows a batch as one row; see docs/dashboard.md, "Batches").
     */
    batch: z.object({ id: z.string().regex(BATCH_ID_PATTERN, { message: 'expected 1–64 letters, digits, _ . or -' }), title: z.string().trim().min(1).max(200) }).strict().optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
  })
  .strict()

export type CreateSpecInput = z.input<typeof createSpecSchema>
export type CreateSpec = z.output<typeof createSpecSchema>
export type ResumeSpec = z.output<typeof resumeSpec>
