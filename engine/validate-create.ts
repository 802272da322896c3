import { channelOfRecipient, createSpecSchema, type CreateSpec } from './create-spec.js'
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js'
import { schemaProblems, valueProblems } from './json-schema.js'
import { privateUrlProblem } from './webhook-address.js'
import { problemsFromZod, ValidationFailed, type FieldProblem } from './problems.js'

/** How recipients are written, as the registered channel plugins declare it. */
export interface RecipientRules {
  /** Null when the recipient is well-formed for a registered channel, else what is wrong. */
  problem(recipient: string): string | null
  /** The stored spelling (addresses lower-cased). */
  normalize(recipient: string): string
}

/** What this server can honour; a request asking for more is refused, never half-served. */
export interface Capabilities {
  recipients: RecipientRules
  /** Channel names with working delivery (`dashboard`, `email`, … and `group`). */
  channels: ReadonlySet<string>
  /** Resume targets with a working module (`webhook`, `inngest`, `langgraph`, `queue`). */
  resumeTargets: ReadonlySet<string>
  /** Optional request features that are implemented (`escalation`, `reminders`, `quorum`, `verify`). */
  features: ReadonlySet<string>
  /** Webhooks may target private addresses (HOLDPOINT_ALLOW_PRIVATE_WEBHOOKS); absent means refused. */
  allowPrivateWebhooks?: boolean
}

const OPTIONAL_FEATURES = ['escalation', 'reminders', 'quorum', 'verify'] as const

const VERIFIER_HINT: Record<string, string> = { anthropic: ' (set ANTHROPIC_API_KEY)', openai: ' (set OPENAI_API_KEY)' }

/** Every URL the server will call for this checkpoint, checked against the SSRF guard. */
function destinationProblems(spec: CreateSpec): FieldProblem[] {
  const urls: Array<[string, string | undefined]> = [
    ['/resume/webhook/url', spec.resume && 'webhook' in spec.resume ? spec.resume.webhook.url : undefined],
    ['/verify/url', spec.verify?.url],
    // Resume targets that Holdpoint's workers call on the agent's say-so get the same check.
    ['/resume/langgraph/apiUrl', spec.resume && 'langgraph' in spec.resume ? spec.resume.langgraph.apiUrl : undefined],
    ['/resume/temporal/address', spec.resume && 'temporal' in spec.resume ? `http://${spec.resume.temporal.address}` : undefined],
  ]
  return urls.flatMap(([path, url]) => {
    const problem = url === undefined ? null : privateUrlProblem(url)
    return problem ? [{ path, message: `${problem}; private destinations are not allowed on this server` }] : []
  })
}

/** Problems with a list of recipients at `at`: unknown syntax, or a channel that is off here. */
export function recipientProblems(list: readonly string[] | undefined, at: string, caps: Pick<Capabilities, 'recipients' | 'channels'>): FieldProblem[] {
  return (list ?? []).flatMap((r, i) => {
    const syntax = caps.recipients.problem(r)
    if (syntax !== null) return [{ path: `${at}/${i}`, message: syntax }]
    const channel = channelOfRecipient(r)
    return caps.channels.has(channel) ? [] : [{ path: `${at}/${i}`, message: `the ${channel} channel is not enabled on this server` }]
  })
}

function capabilityProblems(spec: CreateSpec, caps: Capabilities): FieldProblem[] {
  const problems: FieldProblem[] = [...recipientProblems(spec.notify, '/notify', caps), ...recipientProblems(spec.assignTo, '/assignTo', caps)]
  // An escalation to a channel that is off would queue work nobody runs: refuse it now.
  spec.escalation?.forEach((step, i) => {
    problems.push(...recipientProblems(step.notify, `/escalation/${i}/notify`, caps), ...recipientProblems(step.assignTo, `/escalation/${i}/assignTo`, caps))
  })
  for (const feature of OPTIONAL_FEATURES) {
    if (spec[feature] !== undefined && !caps.features.has(feature)) {
      problems.push({ path: `/${feature}`, message: `${feature} is not supported by this server version` })
    }
  }
  // A module offering `verify` lists each working provider as `verify:<provider>`.
  if (spec.verify && caps.features.has('verify') && !caps.features.has(`verify:${spec.verify.provider}`)) {
    problems.push({ path: '/verify/provider', message: `the ${spec.verify.provider} verifier is not configured on this server${VERIFIER_HINT[spec.verify.provider] ?? ''}` })
  }
  // A model costs money per call: a request may name one only from the operator's allow-list.
  const model = spec.verify?.model
  if (model !== undefined && (spec.verify?.provider === 'anthropic' || spec.verify?.provider === 'openai') && caps.features.has('verify') && !caps.features.has(`verify:model:${model}`)) {
    problems.push({ path: '/verify/model', message: 'is not an allowed model on this server (HOLDPOINT_VERIFY_MODELS); leave it out to use the configured default' })
  }
  if (spec.verify?.provider === 'webhook' && spec.verify.url === undefined) problems.push({ path: '/verify/url', message: 'the webhook verifier needs a url' })
  if (!caps.allowPrivateWebhooks) problems.push(...destinationProblems(spec))
  if (spec.resume) {
    const target = Object.keys(spec.resume)[0] ?? ''
    if (!caps.resumeTargets.has(target)) problems.push({ path: `/resume/${target}`, message: `resume target ${target} is not enabled on this server` })
  }
  return problems
}

/**
 * Validates a create body from any entry point (HTTP or intake queue) and reports every
 * failing path at once: shape, schemas, payload against payloadSchema, the default answer
 * against responseSchema, and what this server can actually do.
 */
export async function validateCreate(body: unknown, caps: Capabilities): Promise<CreateSpec> {
  // Intake jobs arrive without readJson's depth check; everything after this recurses.
  if (nestedDeeperThan(body)) throw new ValidationFailed([{ path: '', message: `nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep` }])
  const parsed = createSpecSchema.safeParse(body)
  if (!parsed.success) throw new ValidationFailed([...problemsFromZod(parsed.error), ...rawRecipientProblems(body, caps)])
  const spec = parsed.data
  const problems: FieldProblem[] = [...await schemaProblems(spec.responseSchema, '/responseSchema')]
  if (spec.payloadSchema) {
    const bad = await schemaProblems(spec.payloadSchema, '/payloadSchema')
    problems.push(...bad)
    if (bad.length === 0 && spec.payload !== undefined) problems.push(...await valueProblems(spec.payloadSchema, spec.payload, '/payload'))
  }
  if (spec.onTimeout && problems.length === 0) {
    problems.push(...await valueProblems(spec.responseSchema, spec.onTimeout.response, '/onTimeout/response'))
  }
  problems.push(...capabilityProblems(spec, caps))
  if (spec.quorum && spec.verify) problems.push({ path: '/verify', message: 'verification of quorum answers is not supported; use one or the other' })
  // A remembered decision repeats one person's final answer: a quorum's or one still to be verified is neither.
  if (spec.remember && (spec.quorum || spec.verify)) problems.push({ path: '/remember', message: 'cannot be combined with quorum or verify' })
  if (spec.quorum?.rejectOn !== undefined && (spec.responseSchema.properties as Record<string, { type?: unknown }> | undefined)?.approved?.type !== 'boolean') {
    problems.push({ path: '/quorum/rejectOn', message: 'rejectOn needs a boolean `approved` property in responseSchema' })
  }
  if (problems.length > 0) throw new ValidationFailed(problems)
  return normalizeRecipients(spec, caps.recipients)
}

/** Addresses compare case-insensitively everywhere (assignTo matching, dedupe): store them as the channel spells them. */
function normalizeRecipients(spec: CreateSpec, rules: RecipientRules): CreateSpec {
  const all = (list: string[]) => list.map((r) => rules.normalize(r))
  return {
    ...spec,
    notify: all(spec.notify),
    ...(spec.assignTo && { assignTo: all(spec.assignTo) }),
    ...(spec.escalation && { escalation: spec.escalation.map((step) => ({ ...step, notify: all(step.notify), ...(step.assignTo && { assignTo: all(step.assignTo) }) })) }),
  }
}

/** Recipient problems in a body that failed its shape check, so one 422 still names them all. */
function rawRecipientProblems(body: unknown, caps: Capabilities): FieldProblem[] {
  if (body === null || typeof body !== 'object') return []
  const lists = body as { notify?: unknown; assignTo?: unknown }
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) && v.every((r): r is string => typeof r === 'string') ? v : undefined)
  return [...recipientProblems(strings(lists.notify), '/notify', caps), ...recipientProblems(strings(lists.assignTo), '/assignTo', caps)]
}
