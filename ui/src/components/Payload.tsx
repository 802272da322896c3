import type { JsonSchema } from '../api'
import { humanize } from '../format'

/**
 * Renders JSON readably: objects as labelled lists (titles and descriptions from the
 * schema when the agent sent one), arrays as lists, scalars as text.
 */
function child(schema: JsonSchema | undefined, key: string): JsonSchema | undefined {
  const props = schema?.properties as Record<string, JsonSchema> | undefined
  return props?.[key]
}

function items(schema: JsonSchema | undefined): JsonSchema | undefined {
  const it: unknown = schema?.items
  return it && typeof it === 'object' && !Array.isArray(it) ? (it as JsonSchema) : undefined
}

export function Value({ value, schema }: { value: unknown; schema?: JsonSchema | undefined }) {
  if (value === null || value === undefined || value === '') return <span className="muted">—</span>
  if (typeof value === 'boolean') return <span className={value ? 'yes' : 'no'}>{value ? 'Yes' : 'No'}</span>
  if (typeof value === 'number') return <span className="tnum">{value.toLocaleString()}</span>
  if (typeof value === 'string') return <span className="text">{value}</span>
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>
    return (
      <ol className="value-list">
        {(value as unknown[]).map((v, i) => (
          <li key={i}>
            <Value value={v} schema={items(schema)} />
          </li>
        ))}
      </ol>
    )
  }
  const entries = Object.entries(value as Record<string, unknown>)
  if (entries.length === 0) return <span className="muted">empty</span>
  return (
    <dl className="kv">
      {entries.map(([key, v]) => {
        const s = child(schema, key)
        const title = typeof s?.title === 'string' ? s.title : humanize(key)
        const description = typeof s?.description === 'string' ? s.description : null
        return (
          <div className="kv-row" key={key}>
            <dt>
              {title}
              {description && <span className="kv-desc">{description}</span>}
            </dt>
            <dd>
              <Value value={v} schema={s} />
            </dd>
          </div>
        )
      })}
    </dl>
  )
}

export function Payload({ value, schema }: { value: unknown; schema?: JsonSchema | undefined }) {
  return (
    <div className="payload">
      <Value value={value} schema={schema} />
      <details className="raw">
        <summary>Raw JSON</summary>
        <pre tabIndex={0}>{JSON.stringify(value, null, 2)}</pre>
      </details>
    </div>
  )
}
