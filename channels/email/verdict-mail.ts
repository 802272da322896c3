import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { composeRequestMail, type ComposedMail, type RequestLinks } from './email-message.js'
import { escapeHtml } from '../common/html.js'

/**
 * The follow-up when a verifier sends an answer back: its reason first, then the request
 * again with fresh links, in the same thread, so whoever answers next sees why.
 */
export function composeSentBackMail(cp: CheckpointView, links: RequestLinks, now = Date.now()): ComposedMail {
  const reason = cp.verification?.reason ?? ''
  const request = composeRequestMail(cp, links, now)
  const lead = `The answer was sent back: ${reason} Please answer again.`
  return {
    subject: `Re: ${request.subject}`,
    text: `${lead}\n\n${request.text}`,
    html: request.html.replace('<div', `<p style="font-weight:600">${escapeHtml(lead)}</p><div`),
  }
}
