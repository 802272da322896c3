import { createHash } from 'node:crypto'
import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { BASE_STYLE, BUTTON_STYLE, escapeHtml } from '../common/html.js'
import { quoteAgentText } from '../common/request-summary.js'
import type { ComposedMail, RequestLinks } from './email-message.js'

/**
 * One mail for a batch: each request with its own links (the same personal magic links as
 * its single mail), an "Approve all" link when some item takes a plain approval, and a link
 * to the batch page in the dashboard to decide them together.
 */
export function composeBatchMail(
  batch: { id: string; title: string },
  items: Array<{ checkpoint: CheckpointView; links: RequestLinks }>,
  batchPage: string,
  approveAll: string | null = null,
): ComposedMail {
  const title = batch.title.replace(/\s+/g, ' ').trim()
  const subject = `[Holdpoint] ${title.length > 100 ? `${title.slice(0, 99)}…` : title} (${items.length} requests)`
  // The title and tasks are the agent's words: quoted, never mixed with Holdpoint's own lines.
  const text: string[] = [`The agent asks ${items.length} things in one batch:`, ...quoteAgentText(batch.title), '']
  const html: string[] = [
    `<div style="${BASE_STYLE}">`,
    `<p style="color:#59636e;font-size:13px;margin:0 0 4px">The agent asks ${items.length} things in one batch:</p>`,
    `<blockquote style="margin:0 0 12px;padding:2px 0 2px 12px;border-left:3px solid #d0d7de"><p style="font-size:17px;font-weight:600">${escapeHtml(batch.title)}</p></blockquote>`,
    '<ol style="padding-left:18px">',
  ]
  items.forEach(({ checkpoint, links }, i) => {
    text.push(`${i + 1}.`, ...quoteAgentText(checkpoint.task))
    for (const a of links.answers) text.push(`  ${a.label}: ${a.url}`)
    if (links.form) text.push(`  Open the form: ${links.form}`)
    if (links.view) text.push(`  See the request: ${links.view}`)
    text.push('')
    const buttons = links.answers.map((a) => `<a href="${escapeHtml(a.url)}" style="${BUTTON_STYLE}">${escapeHtml(a.label)}</a>`)
    if (links.form) buttons.push(`<a href="${escapeHtml(links.form)}" style="${BUTTON_STYLE}">Open the form</a>`)
    if (links.view) buttons.push(`<a href="${escapeHtml(links.view)}">See the request</a>`)
    html.push(`<li style="margin-bottom:12px"><blockquote style="margin:0;padding:0 0 0 8px;border-left:3px solid #d0d7de;white-space:pre-wrap">${escapeHtml(checkpoint.task)}</blockquote><p>${buttons.join('')}</p></li>`)
  })
  html.push('</ol>')
  text.push('Each link opens a page where you confirm that one answer.')
  if (approveAll) text.push(`Approve all (a page lists them first): ${approveAll}`)
  text.push(`Decide them together in the dashboard: ${batchPage}`, '', 'These links are personal: do not forward this email.')
  html.push('<p style="color:#59636e;font-size:13px">Each button opens a page where you confirm that one answer.</p>')
  if (approveAll) html.push(`<p><a href="${escapeHtml(approveAll)}" style="${BUTTON_STYLE}">Approve all</a> <span style="color:#59636e;font-size:13px">(a page lists them before anything is recorded)</span></p>`)
  html.push(
    `<p><a href="${escapeHtml(batchPage)}" style="${BUTTON_STYLE}">Decide them together in the dashboard</a></p>`,
    '<p style="color:#59636e;font-size:12px">These links are personal: do not forward this email.</p></div>',
  )
  return { subject, text: text.join('\n'), html: html.join('\n') }
}

/** A Message-ID of its own per combined send, so a retried send is still one mail. */
export function batchMessageId(sendId: string, address: string, domain: string): string {
  return `<batch.${createHash('sha256').update(`${sendId}\n${address}`).digest('hex').slice(0, 24)}@${domain}>`
}
