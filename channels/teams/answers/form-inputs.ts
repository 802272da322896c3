import type { FormField } from '../../common/form-fields.js'
import { escapeMarkdown, truncate } from '../render/text.js'

/**
 * The response schema's fields (the flat shapes any chat form holds, see
 * channels/common/form-fields.ts) as Adaptive Card inputs, and the submitted `Action.Execute` data back
 * into the answer. Choice values are option indexes, so any JSON value survives the trip.
 */
export type CardElement = Record<string, unknown>

export const inputId = (index: number): string => `f${index}`

function input(field: FormField, index: number, previous: unknown): CardElement {
  const base = {
    id: inputId(index),
    label: truncate(field.label, 200),
    isRequired: field.required,
    ...(field.required && { errorMessage: 'Required' }),
  }
  const had = typeof previous === 'string' && previous !== '' ? previous : undefined
  const choices = (field.options ?? []).map((o, i) => ({ title: truncate(o.label, 200), value: String(i) }))
  switch (field.kind) {
    case 'radio':
    case 'select':
      return { type: 'Input.ChoiceSet', ...base, style: field.kind === 'radio' ? 'expanded' : 'compact', choices, ...(had !== undefined && { value: had }) }
    case 'checkboxes':
      return { type: 'Input.ChoiceSet', ...base, style: 'expanded', isMultiSelect: true, choices, ...(had !== undefined && { value: had }) }
    case 'boolean':
      // Index 0 is `true`, 1 is `false` (form-fields.ts); a toggle would make "no" indistinguishable from "not answered".
      return { type: 'Input.ChoiceSet', ...base, style: 'expanded', choices, ...(had !== undefined && { value: had }) }
    case 'number':
      return { type: 'Input.Number', ...base, ...(field.min !== undefined && { min: field.min }), ...(field.max !== undefined && { max: field.max }), ...(had !== undefined && { value: Number(had) }) }
    case 'date':
      return { type: 'Input.Date', ...base, ...(had !== undefined && { value: had }) }
    default:
      return {
        type: 'Input.Text',
        ...base,
        isMultiline: field.kind === 'multiline',
        ...(field.maxLength !== undefined && { maxLength: field.maxLength }),
        ...(field.kind === 'email' && { style: 'Email' }),
        ...(field.kind === 'url' && { style: 'Url' }),
        ...(had !== undefined && { value: had }),
      }
  }
}

/** The inputs, each with its description and (after a refused submission) its problem. */
export function formElements(fields: FormField[], previous: Record<string, unknown> = {}, problems: Record<number, string> = {}): CardElement[] {
  const out: CardElement[] = []
  fields.forEach((field, i) => {
    out.push(input(field, i, previous[inputId(i)]))
    if (field.hint) out.push({ type: 'TextBlock', text: escapeMarkdown(truncate(field.hint, 500)), wrap: true, isSubtle: true, size: 'Small', spacing: 'None' })
    const problem = problems[i]
    if (problem) out.push({ type: 'TextBlock', text: escapeMarkdown(problem), wrap: true, color: 'Attention', size: 'Small', spacing: 'None' })
  })
  return out
}

function optionAt(field: FormField, raw: string): unknown {
  return field.options?.[Number(raw)]?.value
}

function valueOf(field: FormField, raw: unknown): unknown {
  if (raw === undefined || raw === null) return undefined
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw)
  if (text.trim() === '') return undefined
  switch (field.kind) {
    case 'radio':
    case 'select':
    case 'boolean':
      return optionAt(field, text)
    case 'checkboxes':
      return text.split(',').map((v) => optionAt(field, v))
    case 'number': {
      const n = Number(text)
      // Left as text when it is not a number, so the schema check names the field.
      return Number.isFinite(n) ? n : text
    }
    default:
      return text
  }
}

/** The submitted inputs as the answer the schema describes; empty optional fields are left out. */
export function answerFromInputs(fields: FormField[], data: Record<string, unknown>): unknown {
  const first = fields[0]
  if (fields.length === 1 && first && first.name === null) return valueOf(first, data[inputId(0)]) ?? null
  const out: Record<string, unknown> = {}
  fields.forEach((field, i) => {
    const value = valueOf(field, data[inputId(i)])
    if (value !== undefined && field.name !== null) out[field.name] = value
  })
  return out
}

/** Schema problems by the input that shows them (the first input for whole-answer problems). */
export function problemsByInput(fields: FormField[], problems: ReadonlyArray<{ path: string; message: string }>): Record<number, string> {
  const out: Record<number, string> = {}
  for (const p of problems) {
    const top = p.path.split('/')[1]?.replace(/~1/g, '/').replace(/~0/g, '~')
    let index = fields.findIndex((f) => f.name !== null && f.name === top)
    if (index === -1) index = 0
    const message = index === 0 && fields[0]?.name !== top ? `${p.path || 'answer'}: ${p.message}` : p.message
    out[index] = out[index] ? `${out[index]}; ${message}` : message
  }
  return out
}
