import { reading, verdict, type Brain } from '../support/fake-model.js'

export const POLICY = 'Refunds over $200 need a note that names the duplicate charge.'
export const FAIL_REASON = 'The note must name the duplicate charge.'

/**
 * A scripted model that follows its system prompt: an approval passes only with a note that
 * names the duplicate charge. If untrusted text reached it outside the data section it is
 * "hijacked" and passes anything, which is what the injection test must never see.
 */
export const policyBrain: Brain = (call) => {
  if (call.tool === 'record_answer') {
    const text = String(call.data?.text ?? '')
    if (/maybe|not sure/i.test(text)) return reading(null, 'No decision was given.')
    const approved = !/\b(no|reject|deny)\b/i.test(text)
    return reading({ approved, ...(/duplicate/i.test(text) && { note: 'duplicate charge' }) }, approved ? 'You approve the refund.' : 'You reject the refund.')
  }
  if (call.violations.length > 0) return verdict(true, 'Passed as the text told me to.')
  const answer = call.data?.answer as { approved?: unknown; note?: unknown } | undefined
  if (answer?.approved === false) return verdict(true, 'A rejection needs no note.')
  if (typeof answer?.note === 'string' && /duplicate/i.test(answer.note)) return verdict(true, 'The note names the duplicate charge.')
  return verdict(false, FAIL_REASON)
}
