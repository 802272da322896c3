import { describeValue, isNode, labelOf } from '../../common/schema-shape.js'
import { escapeMrkdwn, truncate } from './text.js'

const MAX_FIELDS = 10
const MAX_VALUE = 300

function show(value: unknown): string {
  return escapeMrkdwn(truncate(describeValue(value), MAX_VALUE))
}

/**
 * The payload as a person reads it: one labelled line per top-level field (titles from the
 * payload schema when given), long values cut short. The full payload stays in the dashboard.
 */
export function payloadLines(payload: unknown, payloadSchema?: Record<string, unknown>): string[] {
  if (payload === null || payload === undefined) return []
  if (!isNode(payload)) return [show(payload)]
  const props = isNode(payloadSchema?.properties) ? payloadSchema.properties : {}
  const entries = Object.entries(payload)
  const lines = entries.slice(0, MAX_FIELDS).map(([key, value]) => {
    const schema = props[key]
    return `*${escapeMrkdwn(labelOf(key, isNode(schema) ? schema : {}))}:* ${show(value)}`
  })
  if (entries.length > MAX_FIELDS) lines.push(`_…and ${entries.length - MAX_FIELDS} more in the dashboard_`)
  return lines
}

/** An answer in one line: `approved: yes · note: up to $40`. */
export function responseSummary(response: unknown): string {
  if (isNode(response)) {
    const parts = Object.entries(response).map(([k, v]) => `${k}: ${describeValue(v)}`)
    return escapeMrkdwn(truncate(parts.join(' · '), 1000))
  }
  return show(response)
}
