import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { BASE_STYLE, BUTTON_STYLE, escapeHtml } from '../common/html.js'
import { outcomeLine } from '../common/request-summary.js'
import { describeValue } from '../common/schema-shape.js'
import { composeRequestMail, type ComposedMail, type RequestLinks } from './email-message.js'

/**
 * What Holdpoint mails back to a reply: the answer it read and a confirm link, why it could
 * not read one (with the usual links), or that the request was already decided. Each is a
 * reply in the person's thread; none of them quotes what the person wrote.
 */

/** A proposal read from a reply belongs to the address the reply came from. */
export const proposalAuthor = (address: string): string => `email:${address.toLowerCase()}`

/** `approved: yes · note: duplicate charge` */
export function answerSummary(answer: unknown): string {
  const text =
    answer !== null && typeof answer === 'object' && !Array.isArray(answer)
      ? Object.entries(answer as Record<string, unknown>)
          .map(([k, v]) => `${k}: ${describeValue(v)}`)
          .join(' · ')
      : describeValue(answer)
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text
}

const reSubject = (subject: string): string => (/^re:/i.test(subject) ? subject : `Re: ${subject}`).slice(0, 200)

export function composeProposalMail(cp: CheckpointView, subject: string, opts: { answer: unknown; reason: string; confirmUrl: string }): ComposedMail {
  const summary = answerSummary(opts.answer)
  const reason = opts.reason.slice(0, 500)
  return {
    subject: reSubject(subject),
    text: [`I read your reply as: ${summary}`, reason, '', 'Nothing is recorded until you confirm:', `  Confirm: ${opts.confirmUrl}`, '', cp.task, '', 'This link is personal: do not forward this email.'].join('\n'),
    html: [
      `<div style="${BASE_STYLE}">`,
      `<p>I read your reply as: <strong>${escapeHtml(summary)}</strong></p>`,
      `<p style="color:#59636e">${escapeHtml(reason)}</p>`,
      `<p><a href="${escapeHtml(opts.confirmUrl)}" style="${BUTTON_STYLE}">Confirm</a></p>`,
      '<p style="color:#59636e;font-size:13px">Nothing is recorded until you confirm on the page this opens.</p>',
      `<p style="color:#59636e">${escapeHtml(cp.task)}</p></div>`,
    ].join('\n'),
  }
}

export function composeUnreadableMail(cp: CheckpointView, subject: string, why: string, links: RequestLinks): ComposedMail {
  const request = composeRequestMail(cp, links)
  const lead = `I could not read an answer from your reply: ${why}. Nothing was recorded.`
  const hint = 'Reply with "yes" or "no" as the first word (a reason may follow), or use the links below.'
  return {
    subject: reSubject(subject),
    text: `${lead}\n${hint}\n\n${request.text}`,
    html: request.html.replace('<div', `<p style="font-weight:600">${escapeHtml(lead)}</p><p>${escapeHtml(hint)}</p><div`),
  }
}

export function composeAlreadyDecidedMail(cp: CheckpointView, subject: string): ComposedMail {
  const line = outcomeLine(cp)
  return {
    subject: reSubject(subject),
    text: `This request was already decided; your reply changed nothing.\n${line}\n\n${cp.task}`,
    html: `<div style="${BASE_STYLE}"><p style="font-weight:600">This request was already decided; your reply changed nothing.</p><p>${escapeHtml(line)}</p><p style="color:#59636e">${escapeHtml(cp.task)}</p></div>`,
  }
}
