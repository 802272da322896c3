import type { types } from '@slack/bolt'
import type { CheckpointView } from '../../../engine/checkpoint-view.js'
import { encodeOrigin, FORM_CALLBACK_ID, type FormOrigin } from '../action-ids.js'
import type { FormField } from '../../common/form-fields.js'
import { blockIdOf, FIELD_ACTION_ID } from '../answers/modal-state.js'
import { payloadLines } from './payload-summary.js'
import { escapeMrkdwnWithin, mrkdwn, plain } from './text.js'

type Block = types.KnownBlock
type InputElement = types.InputBlock['element']

const options = (field: FormField) => (field.options ?? []).map((o, i) => ({ text: plain(o.label, 75), value: String(i) }))

function elementFor(field: FormField): InputElement {
  const action_id = FIELD_ACTION_ID
  switch (field.kind) {
    case 'text':
    case 'multiline':
      return { type: 'plain_text_input', action_id, multiline: field.kind === 'multiline', ...(field.maxLength !== undefined && { max_length: field.maxLength }) }
    case 'number':
      return {
        type: 'number_input',
        action_id,
        is_decimal_allowed: !field.integer,
        ...(field.min !== undefined && { min_value: String(field.min) }),
        ...(field.max !== undefined && { max_value: String(field.max) }),
      }
    case 'email':
      return { type: 'email_text_input', action_id }
    case 'url':
      return { type: 'url_text_input', action_id }
    case 'date':
      return { type: 'datepicker', action_id }
    case 'radio':
    case 'boolean':
      return { type: 'radio_buttons', action_id, options: options(field) }
    case 'select':
      return { type: 'static_select', action_id, placeholder: plain('Choose…', 150), options: options(field) }
    case 'checkboxes':
      return { type: 'checkboxes', action_id, options: options(field) }
  }
}

function heading(cp: CheckpointView): Block[] {
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(`*${escapeMrkdwnWithin(cp.task, 2900)}*`) }]
  const lines = payloadLines(cp.payload, cp.payloadSchema)
  if (lines.length > 0) blocks.push({ type: 'context', elements: [mrkdwn(lines.join('\n'))] })
  return blocks
}

/** The answer form: one input per field, required ones enforced by Slack and by the schema check. */
export function formModal(cp: CheckpointView, fields: FormField[], origin: FormOrigin): types.ModalView {
  const inputs: Block[] = fields.map((field, i) => ({
    type: 'input',
    block_id: blockIdOf(i),
    optional: !field.required,
    label: plain(field.label, 2000),
    ...(field.hint !== undefined && { hint: plain(field.hint, 2000) }),
    element: elementFor(field),
  }))
  return {
    type: 'modal',
    callback_id: FORM_CALLBACK_ID,
    private_metadata: encodeOrigin(origin),
    title: plain('Holdpoint', 24),
    submit: plain('Submit answer', 24),
    close: plain('Cancel', 24),
    blocks: [...heading(cp), { type: 'divider' }, ...inputs],
  }
}

/** For schemas a modal cannot express: a personal, signed link into the dashboard form. */
export function linkModal(cp: CheckpointView, link: string): types.ModalView {
  return {
    type: 'modal',
    title: plain('Holdpoint', 24),
    close: plain('Close', 24),
    blocks: [
      ...heading(cp),
      { type: 'section', text: mrkdwn('This answer has more structure than a Slack form can hold. Answer in the Holdpoint form instead; the link is yours alone.') },
      { type: 'actions', elements: [{ type: 'button', action_id: 'hp.link', url: link, style: 'primary', text: plain('Open the form', 75) }] },
    ],
  }
}
