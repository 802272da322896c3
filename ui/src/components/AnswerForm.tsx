import Form from '@rjsf/core'
import type { ErrorSchema, UiSchema } from '@rjsf/utils'
import validator from '@rjsf/validator-ajv8'
import { useMemo, useState } from 'react'
import { ApiError, errorText, type FieldProblem, type JsonSchema } from '../api'
import { answerLines, hasCustomLabels, honestSchema } from '../honest-schema'

/**
 * The answer form, generated from the agent's `responseSchema` by react-jsonschema-form.
 * Validation is the server's (one validator, so the browser and the server can never
 * disagree about a schema); its JSON-pointer errors are shown next to the fields.
 */
function uiSchemaFor(schema: JsonSchema): UiSchema {
  const ui: UiSchema = {}
  if (schema.type === 'boolean') ui['ui:widget'] = 'radio'
  if (schema.type === 'string' && !schema.enum && !schema.oneOf && !schema.anyOf && schema.const === undefined && !schema.format && (typeof schema.maxLength !== 'number' || schema.maxLength > 120)) {
    ui['ui:widget'] = 'textarea'
    ui['ui:options'] = { rows: 3 }
  }
  const props = schema.properties as Record<string, JsonSchema> | undefined
  for (const [key, sub] of Object.entries(props ?? {})) ui[key] = uiSchemaFor(sub)
  const itemSchema = schema.items
  if (itemSchema && typeof itemSchema === 'object' && !Array.isArray(itemSchema)) ui.items = uiSchemaFor(itemSchema as JsonSchema)
  return ui
}

function decode(segment: string): string {
  return segment.replace(/~1/g, '/').replace(/~0/g, '~')
}

/** `[{path: '/items/0/name', message}]` → `{ items: { 0: { name: { __errors: [message] } } } }` */
export function toErrorSchema(problems: FieldProblem[]): ErrorSchema {
  const root: Record<string, unknown> = {}
  for (const p of problems) {
    let node = root
    for (const segment of p.path.split('/').slice(1).map(decode)) {
      node = (node[segment] ??= {}) as Record<string, unknown>
    }
    ;((node.__errors ??= []) as string[]).push(p.message)
  }
  return root as ErrorSchema
}

export function AnswerForm({
  schema: agentSchema,
  onSubmit,
  rememberDays,
}: {
  schema: JsonSchema
  onSubmit: (response: unknown, remember: boolean) => Promise<void>
  /** When the agent allows it: offer "decide the same for the next N days". */
  rememberDays?: number
}) {
  // Drawn from an honest copy: what a reviewer clicks says the value it sends (see honest-schema).
  const schema = useMemo(() => honestSchema(agentSchema) as JsonSchema, [agentSchema])
  const customLabels = useMemo(() => hasCustomLabels(agentSchema), [agentSchema])
  const [formData, setFormData] = useState<unknown>(undefined)
  const [extraErrors, setExtraErrors] = useState<ErrorSchema | undefined>(undefined)
  const [message, setMessage] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [remember, setRemember] = useState(false)
  const uiSchema = useMemo(() => ({ ...uiSchemaFor(schema), 'ui:submitButtonOptions': { norender: true } }), [schema])

  const submit = async (data: unknown) => {
    setBusy(true)
    setMessage(null)
    try {
      await onSubmit(data ?? {}, remember)
      setExtraErrors(undefined)
    } catch (error) {
      if (error instanceof ApiError && error.status === 422 && error.problem.errors?.length) {
        setExtraErrors(toErrorSchema(error.problem.errors))
        setMessage('Please correct the highlighted fields.')
        // Move focus to the first field the server flagged, for keyboard and screen-reader users.
        requestAnimationFrame(() => document.querySelector<HTMLElement>('.answer-form .has-error input, .answer-form .has-error textarea, .answer-form .has-error select')?.focus())
      } else {
        setMessage(errorText(error))
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <div className="answer-form">
      {message && (
        <p className="alert error" role="alert">
          {message}
        </p>
      )}
      <Form
        schema={schema}
        uiSchema={uiSchema}
        validator={validator}
        formData={formData}
        onChange={(e) => {
          setFormData(e.formData)
          // The server's errors describe the last submission; once the reviewer edits, they are stale.
          if (extraErrors) {
            setExtraErrors(undefined)
            setMessage(null)
          }
        }}
        onSubmit={(e) => void submit(e.formData)}
        noValidate
        noHtml5Validate
        showErrorList={false}
        extraErrors={extraErrors}
        disabled={busy}
        idPrefix="answer"
      >
        {customLabels && answerLines(formData).length > 0 && (
          // The agent chose the labels; the values below are what is sent, whatever they say.
          <div className="answer-values" role="status" aria-label="Your answer as sent">
            <p className="hint">Your answer, as it will be sent:</p>
            <ul>
              {answerLines(formData).map((line) => (
                <li key={line.key}>
                  <code>{line.key}</code>: <strong>{line.value}</strong>
                </li>
              ))}
            </ul>
          </div>
        )}
        {rememberDays !== undefined && (
          <label className="remember">
            <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} disabled={busy} />{' '}
            Decide the same for the next {rememberDays} day{rememberDays === 1 ? '' : 's'}
            <span className="hint"> — later requests like this one from the same agent are answered at once with this answer; operators can revoke it under Rules.</span>
          </label>
        )}
        <div className="form-actions">
          <button type="submit" className="btn primary" disabled={busy}>
            {busy ? 'Submitting…' : 'Submit answer'}
          </button>
        </div>
      </Form>
    </div>
  )
}
