// The shape ask_human and wait_for_answer return, and the sentence that tells the model
// what to do next. One place so both tools (and both transports) say the same thing.
import { z } from 'zod'
import { isFinished, type CheckpointDoc } from './agent-api.js'

export const answerOutputShape = {
  checkpointId: z.string().describe('The request id; pass it to wait_for_answer or cancel_request.'),
  state: z
    .string()
    .describe('pending, delivered, claimed or verifying/verified: still open (call wait_for_answer). resolved: answered. expired, cancelled, rejected: finished without a usable answer.'),
  response: z.unknown().optional().describe('The answer, matching responseSchema; present once resolved.'),
  respondedBy: z
    .looseObject({ channel: z.string(), actor: z.string(), name: z.string().optional() })
    .optional()
    .describe('Who answered and on which channel.'),
  expiresAt: z.string().optional().describe('When the request expires unanswered (ISO 8601).'),
  dashboardUrl: z.string().optional().describe('Where a person can answer in the Holdpoint dashboard.'),
}

export type AnswerOutput = z.infer<z.ZodObject<typeof answerOutputShape>>

function dashboardOf(doc: CheckpointDoc): string | undefined {
  const links = (doc as { links?: { dashboard?: unknown } }).links
  return typeof links?.dashboard === 'string' ? links.dashboard : undefined
}

export function answerOf(doc: CheckpointDoc): AnswerOutput {
  const out: AnswerOutput = { checkpointId: doc.id, state: doc.state }
  if (doc.response !== null && doc.response !== undefined) out.response = doc.response
  if (doc.respondedBy) out.respondedBy = { ...doc.respondedBy }
  if (doc.expiresAt) out.expiresAt = doc.expiresAt
  const dashboard = dashboardOf(doc)
  if (dashboard !== undefined) out.dashboardUrl = dashboard
  return out
}

/** What the model reads: the outcome and, when still open, exactly what to call next. */
export function answerText(out: AnswerOutput): string {
  const who = out.respondedBy ? `${out.respondedBy.name ?? out.respondedBy.actor} (via ${out.respondedBy.channel})` : 'a person'
  switch (out.state) {
    case 'resolved':
      return `Answered by ${who}: ${JSON.stringify(out.response)}`
    case 'expired':
      return out.response !== undefined
        ? `Nobody answered in time; the default answer applies: ${JSON.stringify(out.response)}`
        : `Nobody answered before the request expired (checkpoint ${out.checkpointId}). Do not proceed as if approved.`
    case 'cancelled':
      return `The request ${out.checkpointId} was cancelled; there is no answer. Do not proceed as if approved.`
    case 'rejected':
      return `The request ${out.checkpointId} finished without an accepted answer (rejected). Do not proceed as if approved.`
    default:
      if (isFinished(out.state)) return `The request ${out.checkpointId} finished in state ${out.state}.`
      return (
        `No answer yet (state: ${out.state}). The person has been asked and the request stays open` +
        `${out.expiresAt ? ` until ${out.expiresAt}` : ''}. Call wait_for_answer with {"checkpointId": "${out.checkpointId}"} to keep waiting; ` +
        'do not ask again with ask_human, and do not act as if it were approved.'
      )
  }
}
