import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { BASE_STYLE, BUTTON_STYLE, escapeHtml } from '../common/html.js'
import { outcomeLine, payloadLines, quoteAgentText, timeLeft } from '../common/request-summary.js'

/**
 * What a recipient reads: the request mail (task, payload summary, time left, and the links
 * they may use) and the outcome mail that closes the thread. Pure: links come in ready-made.
 */
export interface RequestLinks {
  /** One link per one-click answer, for recipients who may answer. */
  answers: Array<{ label: string; url: string }>
  /** The dashboard form, signed in as this recipient, when the schema needs a form. */
  form?: string
  /** A read-only page, for recipients who are notified but may not answer. */
  view?: string
}

export interface ComposedMail {
  subject: string
  text: string
  html: string
}

function baseSubject(task: string): string {
  const oneLine = task.replace(/\s+/g, ' ').trim()
  return `[Holdpoint] ${oneLine.length > 120 ? `${oneLine.slice(0, 119)}…` : oneLine}`
}

function payloadHtml(lines: string[]): string {
  if (lines.length === 0) return ''
  return `<ul style="padding-left:18px;color:#424a53">${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`
}

export function composeRequestMail(cp: CheckpointView, links: RequestLinks, now = Date.now()): ComposedMail {
  const lines = payloadLines(cp.payload)
  const left = timeLeft(cp.expiresAt, now)
  // Everything the agent wrote (task and payload) is quoted under a label; Holdpoint's own
  // lines (time left, links) are never quoted, so the agent cannot forge a links block.
  const text: string[] = ['The agent asks:', ...quoteAgentText(cp.task)]
  if (lines.length > 0) text.push('>', ...lines.flatMap((l) => quoteAgentText(`  ${l}`)))
  text.push('', `Time left: ${left} (until ${cp.expiresAt}).`, '')
  // The same separation in HTML: the agent's words sit in a labelled quote, apart from the buttons.
  const html: string[] = [
    `<div style="${BASE_STYLE}">`,
    '<p style="color:#59636e;font-size:13px;margin:0 0 4px">The agent asks:</p>',
    `<blockquote style="margin:0 0 12px;padding:2px 0 2px 12px;border-left:3px solid #d0d7de"><p style="font-size:17px;font-weight:600;white-space:pre-wrap">${escapeHtml(cp.task)}</p>${payloadHtml(lines)}</blockquote>`,
  ]
  html.push(`<p style="color:#59636e">Time left: ${escapeHtml(left)} (until ${escapeHtml(cp.expiresAt)}).</p>`)

  if (links.answers.length > 0) {
    text.push('Answer with one of these links (each opens a page where you confirm):')
    for (const a of links.answers) text.push(`  ${a.label}: ${a.url}`)
    html.push(`<p>${links.answers.map((a) => `<a href="${escapeHtml(a.url)}" style="${BUTTON_STYLE}">${escapeHtml(a.label)}</a>`).join('')}</p>`)
    html.push('<p style="color:#59636e;font-size:13px">Each button opens a page where you confirm your answer.</p>')
  }
  if (links.form) {
    text.push('Open the form to answer:', `  ${links.form}`)
    html.push(`<p><a href="${escapeHtml(links.form)}" style="${BUTTON_STYLE}">Open the form</a></p>`)
  }
  if (links.view) {
    text.push('You are kept informed; others will answer. See the request:', `  ${links.view}`)
    html.push(`<p>You are kept informed; others will answer. <a href="${escapeHtml(links.view)}">See the request</a>.</p>`)
  }
  text.push('', 'These links are personal: do not forward this email.')
  html.push('<p style="color:#59636e;font-size:12px">These links are personal: do not forward this email.</p></div>')
  return { subject: baseSubject(cp.task), text: text.join('\n'), html: html.join('\n') }
}

/** A reminder repeats the request (with fresh links) as a reply in the same thread. */
export function composeReminderMail(cp: CheckpointView, links: RequestLinks, now = Date.now()): ComposedMail {
  const request = composeRequestMail(cp, links, now)
  return {
    subject: `Re: ${request.subject}`,
    text: `Reminder: this still needs an answer.\n\n${request.text}`,
    html: request.html.replace('<div', '<p style="font-weight:600">Reminder: this still needs an answer.</p><div'),
  }
}

export function composeOutcomeMail(cp: CheckpointView): ComposedMail {
  const line = outcomeLine(cp)
  return {
    subject: `Re: ${baseSubject(cp.task)}`,
    text: [line, '', 'The agent asked:', ...quoteAgentText(cp.task), '', 'Nothing more is needed from you.'].join('\n'),
    html: `<div style="${BASE_STYLE}"><p style="font-weight:600">${escapeHtml(line)}</p><p style="color:#59636e">${escapeHtml(cp.task)}</p><p>Nothing more is needed from you.</p></div>`,
  }
}
