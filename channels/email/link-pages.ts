import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { BASE_STYLE, BUTTON_STYLE, escapeHtml } from '../common/html.js'
import { outcomeLine, payloadLines, timeLeft } from '../common/request-summary.js'

/**
 * The pages behind email links. Each is complete HTML with no scripts and no external
 * resources, so nothing on the page can leak the link it was opened from.
 */
export interface Page {
  status: number
  title: string
  html: string
}

function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex,nofollow"><title>${escapeHtml(title)} · Holdpoint</title></head><body><main style="${BASE_STYLE}"><h1 style="font-size:20px">${escapeHtml(title)}</h1>${body}</main></body></html>`
}

export function page(status: number, title: string, body: string): Page {
  return { status, title, html: layout(title, body) }
}

function request(cp: CheckpointView): string {
  const lines = payloadLines(cp.payload)
  const list = lines.length > 0 ? `<ul style="color:#424a53">${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>` : ''
  return `<p style="font-weight:600">${escapeHtml(cp.task)}</p>${list}`
}

export const pages = {
  invalid: () => page(400, 'This link is not valid', '<p>The link is damaged or was not issued by this server. Nothing was changed. Use the link from the original email.</p>'),
  expired: () => page(410, 'This link has expired', '<p>Links in Holdpoint emails stop working a day after the request ends. Nothing was changed.</p>'),
  notFound: () => page(404, 'Request not found', '<p>This request no longer exists. Nothing was changed.</p>'),
  crossSite: () => page(403, 'Confirmation refused', '<p>The confirmation did not come from this site\u2019s own page. Nothing was changed. Open the link from your email and confirm there.</p>'),
  notAnAction: () => page(405, 'Nothing to confirm', '<p>This link only shows the request. Nothing was changed.</p>'),
  unknownChoice: () => page(400, 'This link is not valid', '<p>The answer this link offers no longer matches the request. Nothing was changed.</p>'),

  confirm: (cp: CheckpointView, label: string) =>
    page(
      200,
      'Confirm your answer',
      `${request(cp)}<p style="color:#59636e">${escapeHtml(timeLeft(cp.expiresAt))}.</p>` +
        // No action attribute: the form posts back to this same URL, so the page itself never repeats the link.
        `<form method="post"><button type="submit" style="${BUTTON_STYLE}">Confirm: ${escapeHtml(label)}</button></form>` +
        '<p style="color:#59636e;font-size:13px">Nothing is recorded until you press the button.</p>',
    ),
  view: (cp: CheckpointView, mayAnswer: boolean) =>
    page(
      200,
      'Request',
      `${request(cp)}<p>${escapeHtml(outcomeLine(cp))}</p>` +
        (mayAnswer ? '' : '<p style="color:#59636e">You are kept informed about this request; you are not among the people who answer it.</p>'),
    ),
  alreadyAnswered: (cp: CheckpointView) =>
    page(409, cp.state === 'resolved' ? 'Already answered' : 'This request has ended', `${request(cp)}<p>${escapeHtml(outcomeLine(cp))}</p><p>Nothing was changed.</p>`),
  linkUsed: (cp: CheckpointView) =>
    page(409, 'Already answered', `${request(cp)}<p>This link was already used. ${escapeHtml(outcomeLine(cp))}</p><p>Nothing was changed.</p>`),
  recorded: (cp: CheckpointView, label: string) => page(200, 'Answer recorded', `${request(cp)}<p>You answered: <strong>${escapeHtml(label)}</strong>. Thank you.</p>`),
  notAssigned: (cp: CheckpointView) =>
    page(403, 'You cannot answer this request', `${request(cp)}<p>You can see this request, but you are not among the people who may answer it. Nothing was changed.</p>`),
  claimedByOther: (cp: CheckpointView) => page(409, 'Someone else is handling this', `${request(cp)}<p>${escapeHtml(outcomeLine(cp))} Nothing was changed.</p>`),
  invalidAnswer: () => page(422, 'Answer not accepted', '<p>The request no longer accepts this answer. Nothing was changed. Use the form in the dashboard instead.</p>'),
  busy: () => page(503, 'Please try again', '<p>The request is changing right now. Nothing was changed; go back and press the button again.</p>'),
  failed: () => page(500, 'Something went wrong', '<p>Nothing was changed. Please try again in a moment.</p>'),
}
