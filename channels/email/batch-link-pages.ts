import { BUTTON_STYLE, escapeHtml } from '../common/html.js'
import { page, type Page } from './link-pages.js'

/** One member on an "Approve all" page: its task, and why it is left out (null: approved / to approve). */
export interface BatchLine {
  task: string
  note: string | null
}

function list(lines: BatchLine[], included: string): string {
  const items = lines.map(
    (l) => `<li style="margin-bottom:8px"><span style="white-space:pre-wrap">${escapeHtml(l.task)}</span><br><span style="color:#59636e;font-size:13px">${escapeHtml(l.note ?? included)}</span></li>`,
  )
  return `<ol style="padding-left:18px">${items.join('')}</ol>`
}

// The title and tasks are the agent's words: escaped, and only ever shown as quoted text.
const heading = (title: string) => `<p style="font-weight:600">${escapeHtml(title)}</p>`

export interface BatchPages {
  confirm(title: string, lines: BatchLine[], count: number): Page
  nothing(title: string, lines: BatchLine[]): Page
  used(title: string): Page
  done(title: string, lines: BatchLine[], recorded: number): Page
}

export const batchPages: BatchPages = {
  confirm: (title: string, lines: BatchLine[], count: number) =>
    page(
      200,
      'Confirm: approve all',
      `${heading(title)}${list(lines, 'Will be approved.')}` +
        // No action attribute: the form posts back to this same URL, so the page never repeats the link.
        `<form method="post"><button type="submit" style="${BUTTON_STYLE}">Approve ${count} ${count === 1 ? 'request' : 'requests'}</button></form>` +
        '<p style="color:#59636e;font-size:13px">Nothing is recorded until you press the button. Each approval is recorded on its own.</p>',
    ),
  nothing: (title: string, lines: BatchLine[]) => page(409, 'Nothing to approve', `${heading(title)}${list(lines, '')}<p>Nothing was changed.</p>`),
  used: (title: string) => page(409, 'Already used', `${heading(title)}<p>This link was already used. Nothing was changed.</p>`),
  done: (title: string, lines: BatchLine[], recorded: number) =>
    page(
      recorded > 0 ? 200 : 409,
      recorded > 0 ? 'Approvals recorded' : 'Nothing was approved',
      `${heading(title)}<p>${recorded} ${recorded === 1 ? 'approval' : 'approvals'} recorded.</p>${list(lines, 'Approved.')}`,
    ),
}
