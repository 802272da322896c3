import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { oneClickChoices } from '../../channels/common/answer-choices.js'
import { composeOutcomeMail, composeRequestMail } from '../../channels/email/email-message.js'
import { oneClickChoices as slackChoices } from '../../channels/slack/answers/one-click.js'
import { renderMessage } from '../../channels/slack/render/message.js'
import { linkModal } from '../../channels/slack/render/modal.js'
import { clipHtml, requestText, sentBackText, visibleLength } from '../../channels/telegram/telegram-message.js'
import type { CheckpointView } from '../../engine/checkpoint-view.js'
import { runs } from './support.js'

/**
 * Every agent string is escaped on every channel: no Slack mention or disguised link, no
 * unbalanced Telegram HTML, no plain-text line that passes for one of Holdpoint's own.
 */

const NOW = Date.parse('2026-01-01T00:00:00Z')

function view(task: string, extra: Partial<CheckpointView> = {}): CheckpointView {
  return {
    id: 'cp_0123456789abcdef',
    state: 'delivered',
    task,
    payload: null,
    responseSchema: { type: 'object', properties: { approved: { type: 'boolean' } }, required: ['approved'] },
    response: null,
    respondedBy: null,
    claimedBy: null,
    notify: [],
    assignTo: [],
    deliveredTo: [],
    createdAt: new Date(NOW).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    expiresAt: new Date(NOW + 3_600_000).toISOString(),
    idempotencyKey: null,
    resume: null,
    links: { dashboard: 'https://hp.example.com/checkpoints/cp_0123456789abcdef' },
    metadata: {},
    version: 1,
    tier: 0,
    ...extra,
  }
}

/** Slack's control sequences: `<!channel>`, `<!here>`, `<@U…>`, `<#C…>`, `<http://…|label>` (Holdpoint's own `<!date^…>` aside). */
const SLACK_CONTROL = /<(?!!date\^)[!@#]|<(?:https?|mailto):/i

describe('Slack', () => {
  const hostile = 'Refund <!channel> <!here> <!everyone> <@U0ADMIN> <#C0GENERAL> <http://evil.example|click here to approve> & more'

  it('escapes the notification text as well as the blocks: no mention, no disguised link', () => {
    const rendered = renderMessage(view(hostile), { broadcast: true, now: NOW })
    expect(rendered.text).not.toMatch(SLACK_CONTROL)
    expect(rendered.text).toContain('&lt;!channel&gt;')
    expect(rendered.text).toContain('&lt;http://evil.example|click here to approve&gt; &amp; more')
    for (const block of JSON.stringify(rendered.blocks).match(/"text":"(?:[^"\\]|\\.)*"/g) ?? []) expect(block).not.toMatch(SLACK_CONTROL)
    const modal = linkModal(view(hostile), 'https://hp.example.com/ui/checkpoints/cp_1?grant=x')
    expect(JSON.stringify(modal)).not.toMatch(SLACK_CONTROL)
  })

  it('cuts a long task between characters, never inside an entity', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('<', '>', '&', 'a', '!', '@', '|', '🙂'), { minLength: 2800, maxLength: 3200 }), (chars) => {
        const rendered = renderMessage(view(chars.join('')), { broadcast: false, now: NOW })
        const first = rendered.blocks[0] as { text: { text: string } }
        for (const text of [rendered.text, first.text.text]) {
          expect(text.length).toBeLessThanOrEqual(3000)
          expect(text).not.toMatch(/[<>]/)
          // Every & starts a whole entity.
          expect(text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&')
          expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/)
        }
      }),
      runs(30),
    )
  })
})

/** Tags balance and nest, no `<` or `&` outside a tag or an entity: what Telegram's HTML parser accepts. */
function balanced(html: string): boolean {
  const stack: string[] = []
  const token = /<(\/?)([a-z]+)(?:\s[^<>]*)?>|&(?:amp|lt|gt|quot|#39);|[<>&]|[^<>&]+/giy
  for (let m = token.exec(html); m; m = token.exec(html)) {
    const t = m[0]
    if (t === '<' || t === '>' || t === '&') return false
    if (!m[2]) continue
    if (m[1]) {
      if (stack.pop() !== m[2]) return false
    } else stack.push(m[2])
  }
  return stack.length === 0 && token.lastIndex === 0
}

describe('Telegram', () => {
  it('a long task full of <&> yields balanced HTML under the limit, with the form link intact', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('<', '>', '&', '"', "'", 'x', ' ', '🙂', '<b>', '</i>', '&amp;'), { minLength: 1000, maxLength: 6000 }),
        fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 300 }), { maxKeys: 12 })),
        (chars, payload) => {
          const cp = view(chars.join(''), { payload })
          const link = '<a href="https://hp.example.com/ui/checkpoints/cp_1?grant=x&amp;y=1">Open the form</a> to answer.'
          for (const html of [requestText(cp, undefined, NOW), requestText(cp, link, NOW), sentBackText('<b>bad</b> & '.repeat(200), 2, requestText(cp, link, NOW))]) {
            expect(balanced(html), html.slice(0, 200)).toBe(true)
            expect(visibleLength(html)).toBeLessThanOrEqual(4096)
          }
          expect(requestText(cp, link, NOW).endsWith(link)).toBe(true)
        },
      ),
      runs(40),
    )
  })

  it('clipHtml closes what it leaves open and never splits an entity', () => {
    const html = `<b>${'&lt;'.repeat(50)}</b> <i>${'x'.repeat(50)}</i>`
    for (let max = 1; max < 110; max++) {
      const clipped = clipHtml(html, max)
      expect(balanced(clipped), clipped).toBe(true)
      expect(visibleLength(clipped)).toBeLessThanOrEqual(max)
    }
  })
})

describe('plain-text email', () => {
  const links = {
    answers: [
      { label: 'Approve', url: 'https://hp.example.com/m/approve-token' },
      { label: 'Reject', url: 'https://hp.example.com/m/reject-token' },
    ],
  }
  const imitation = [
    'Refund order 1234?',
    '',
    'Time left: 59 minutes left.',
    '',
    'Answer with one of these links (each opens a page where you confirm):',
    '  Approve: https://evil.example/m/steal',
    '  Reject: https://evil.example/m/steal',
    '\rOpen the form to answer:\u2028  https://evil.example/form\u0085  Approve: https://evil.example/x',
    '\u202eevil text reversed',
  ].join('\n')

  it('sets the agent’s words apart: labelled and quoted on every line, none looks like a Holdpoint line', () => {
    const mail = composeRequestMail(view(imitation, { payload: { note: 'x\n  Approve: https://evil.example/p' } }), links, NOW)
    const lines = mail.text.split(/\r\n|[\r\n\u0085\u2028\u2029]/)
    const start = lines.indexOf('The agent asks:')
    expect(start).toBe(0)
    const timeLine = lines.findIndex((l) => l.startsWith('Time left:'))
    // Everything between the label and Holdpoint's own "Time left" line is quoted.
    const quoted = lines.slice(start + 1, timeLine - 1)
    expect(quoted.length).toBeGreaterThan(8)
    for (const line of quoted) expect(line.startsWith('>'), JSON.stringify(line)).toBe(true)
    // The only link lines and "Answer with" lines are Holdpoint's own.
    expect(lines.filter((l) => /^\s*(Approve|Reject):/.test(l))).toEqual(['  Approve: https://hp.example.com/m/approve-token', '  Reject: https://hp.example.com/m/reject-token'])
    expect(lines.filter((l) => l.startsWith('Answer with'))).toHaveLength(1)
    expect(lines.filter((l) => l.includes('evil.example')).every((l) => l.startsWith('> '))).toBe(true)
    expect(mail.text).not.toContain('\u202e')
    const outcome = composeOutcomeMail(view(imitation, { state: 'cancelled' }))
    expect(outcome.text.split(/\r\n|[\r\n\u0085\u2028\u2029]/).filter((l) => l.includes('evil.example')).every((l) => l.startsWith('> '))).toBe(true)
  })

  it('any task: each of its lines is quoted', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 400 }), (task) => {
        const mail = composeRequestMail(view(task), links, NOW)
        const lines = mail.text.split(/\r\n|[\r\n\v\f\u0085\u2028\u2029]/)
        const timeLine = lines.findIndex((l) => l.startsWith('Time left:'))
        for (const line of lines.slice(1, timeLine - 1)) expect(line.startsWith('>'), JSON.stringify(line)).toBe(true)
      }),
      runs(200),
    )
  })
})

describe('one-click labels stay honest', () => {
  it('say Approve/Reject only for a field named as an approval, on every channel alike', () => {
    const schemaFor = (name: string) => ({ type: 'object', properties: { [name]: { type: 'boolean' } }, required: [name] })
    for (const name of ['disapprove', 'reject', 'notApproved', 'unconfirmed', 'disallow', 'deny', 'cancel']) {
      expect(oneClickChoices(schemaFor(name))?.map((c) => c.label), name).toEqual(['Yes', 'No'])
      expect(slackChoices(schemaFor(name)).map((c) => c.label), name).toEqual(['Yes', 'No'])
    }
    for (const name of ['approved', 'approve', 'isApproved', 'allowed', 'confirm']) {
      expect(oneClickChoices(schemaFor(name))?.map((c) => [c.label, c.response]), name).toEqual([['Approve', { [name]: true }], ['Reject', { [name]: false }]])
      expect(slackChoices(schemaFor(name)).map((c) => [c.label, c.response]), name).toEqual([['Approve', { [name]: true }], ['Reject', { [name]: false }]])
    }
  })

  it('derive from the values, not from titles a schema puts on them', () => {
    const choices = oneClickChoices({
      type: 'object',
      properties: { approved: { type: 'boolean', oneOf: [{ const: true, title: 'Reject' }, { const: false, title: 'Approve' }] } },
      required: ['approved'],
    })
    for (const choice of choices ?? []) {
      const value = (choice.response as { approved: boolean }).approved
      if (/reject/i.test(choice.label)) expect(value).toBe(false)
      if (/approve/i.test(choice.label)) expect(value).toBe(true)
    }
  })
})
