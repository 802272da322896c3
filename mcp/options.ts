/** Knobs of the MCP server; the defaults are what production uses, tests shorten them. */
export interface McpOptions {
  /** How often a waiting tool sends a progress notification (when the client sent a progressToken). */
  progressIntervalMs?: number
  /** How long approve_tool_use gives a person to decide before it denies. */
  approvalTimeoutSeconds?: number
}

export const DEFAULT_PROGRESS_INTERVAL_MS = 10_000
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 10 * 60
export const DEFAULT_WAIT_SECONDS = 50
export const MAX_WAIT_SECONDS = 55

/** The default question shape: yes or no, with an optional reason. */
export const APPROVAL_SCHEMA: Record<string, unknown> = {
  type: 'object',
  properties: {
    approved: { type: 'boolean', title: 'Approve?' },
    note: { type: 'string', title: 'Note', maxLength: 2000 },
  },
  required: ['approved'],
  additionalProperties: false,
}

/**
 * Operator overrides from the environment (both transports): HOLDPOINT_MCP_PROGRESS_INTERVAL_MS
 * and HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS. A bad value is refused, naming the variable.
 */
export function mcpOptionsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): McpOptions {
  const options: McpOptions = {}
  const read = (name: string, min: number, max: number): number | undefined => {
    const raw = env[name]?.trim()
    if (raw === undefined || raw === '') return undefined
    const value = Number(raw)
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
    return value
  }
  const progress = read('HOLDPOINT_MCP_PROGRESS_INTERVAL_MS', 100, 60_000)
  const approval = read('HOLDPOINT_MCP_APPROVAL_TIMEOUT_SECONDS', 1, 60 * 60 * 24)
  if (progress !== undefined) options.progressIntervalMs = progress
  if (approval !== undefined) options.approvalTimeoutSeconds = approval
  return options
}
