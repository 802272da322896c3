/**
 * The Slack modal's side of a form: block ids for each field, and the answer read back from
 * `view.state.values` (errors mapped back onto their blocks).
 */
import type { FormField } from '../../common/form-fields.js'

export const blockIdOf = (index: number): string => `f${index}`
export const FIELD_ACTION_ID = 'v'

/** What Slack sends back for one input in `view.state.values`. */
export interface InputState {
  type?: string
  value?: string | null
  selected_option?: { value: string } | null
  selected_options?: Array<{ value: string }>
  selected_date?: string | null
}

function optionValue(field: FormField, raw: string): unknown {
  return field.options?.[Number(raw)]?.value
}

function valueOf(field: FormField, state: InputState | undefined): unknown {
  if (!state) return undefined
  switch (field.kind) {
    case 'radio':
    case 'select':
    case 'boolean':
      return state.selected_option ? optionValue(field, state.selected_option.value) : undefined
    case 'checkboxes':
      return (state.selected_options ?? []).map((o) => optionValue(field, o.value))
    case 'date':
      return state.selected_date ?? undefined
    case 'number': {
      if (state.value === null || state.value === undefined || state.value.trim() === '') return undefined
      const n = Number(state.value)
      // Left as text when it is not a number, so the schema check reports it on the field.
      return Number.isFinite(n) ? n : state.value
    }
    default:
      return state.value === null || state.value === undefined || state.value === '' ? undefined : state.value
  }
}

/** The submitted modal as the answer the schema describes; empty optional fields are left out. */
export function answerFromState(fields: FormField[], values: Record<string, Record<string, InputState>>): unknown {
  const first = fields[0]
  if (fields.length === 1 && first && first.name === null) return valueOf(first, values[blockIdOf(0)]?.[FIELD_ACTION_ID]) ?? null
  const out: Record<string, unknown> = {}
  fields.forEach((field, i) => {
    const value = valueOf(field, values[blockIdOf(i)]?.[FIELD_ACTION_ID])
    if (value !== undefined && field.name !== null) out[field.name] = value
  })
  return out
}

/** Schema problems keyed by the modal block that shows them (`response_action: errors`). */
export function errorsByBlock(fields: FormField[], problems: Array<{ path: string; message: string }>): Record<string, string> {
  const errors: Record<string, string> = {}
  for (const p of problems) {
    const top = p.path.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~')
    let index = fields.findIndex((f) => f.name !== null && f.name === top)
    if (index === -1) index = 0
    const block = blockIdOf(index)
    const field = fields[index]
    const message = `${field && field.name !== null && top === field.name ? '' : `${p.path || 'answer'}: `}${p.message}`
    errors[block] = errors[block] ? `${errors[block]}; ${message}` : message
  }
  // Slack caps an error message's length; keep each one readable.
  for (const key of Object.keys(errors)) errors[key] = (errors[key] ?? '').slice(0, 150)
  return errors
}
