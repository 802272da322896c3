// approve_tool_use: a permission-prompt tool for coding agents (Claude Code's
// --permission-prompt-tool). It must return the final decision in one call, so it keeps
// waiting until a person answers or the deadline passes, and it asks at most once per
// tool_use_id however often the agent retries.
import { createHash } from 'node:crypto'
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import { isFinished, type AgentApi, type CheckpointDoc, type CreateBody } from './agent-api.js'
import { APPROVAL_SCHEMA, DEFAULT_APPROVAL_TIMEOUT_SECONDS, DEFAULT_PROGRESS_INTERVAL_MS, type McpOptions } from './options.js'
import { heartbeatFor } from './progress.js'
import { guarded } from './tool-result.js'
import { waitForAnswer } from './waiting.js'

export type Decision = { behavior: 'allow'; updatedInput: Record<string, unknown> } | { behavior: 'deny'; message: string }

// The worker expires the checkpoint at its deadline; this much later we stop waiting anyway.
const DEADLINE_GRACE_MS = 5_000

/** Lets channels render the request as a labelled form instead of raw JSON. */
const PAYLOAD_SCHEMA: Record<string, unknown> = {
  type: 'object',
  title: 'Tool use request',
  properties: {
    tool_name: { type: 'string', title: 'Tool' },
    input: { type: 'object', title: 'Input' },
  },
  required: ['tool_name', 'input'],
}

/** Same tool_use_id, same key, same checkpoint. Hashed when long: keys are capped at 255 characters. */
export function approvalKey(toolUseId: string): string {
  return toolUseId.length <= 200 ? `approve_tool_use:${toolUseId}` : `approve_tool_use:sha256:${createHash('sha256').update(toolUseId).digest('base64url')}`
}

function minutes(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`
}

export function decide(doc: CheckpointDoc, input: Record<string, unknown>, timeoutSeconds: number): Decision {
  const response = (doc.response ?? {}) as { approved?: unknown; note?: unknown }
  const note = typeof response.note === 'string' && response.note.trim() !== '' ? response.note : undefined
  const who = doc.respondedBy ? (doc.respondedBy.name ?? doc.respondedBy.actor) : 'A person'
  if (doc.state === 'resolved' && response.approved === true) return { behavior: 'allow', updatedInput: input }
  switch (doc.state) {
    case 'resolved':
      return { behavior: 'deny', message: note ?? `${who} denied this tool use.` }
    case 'cancelled':
      return { behavior: 'deny', message: 'The approval request was cancelled, so the tool use is not allowed.' }
    case 'rejected':
      return { behavior: 'deny', message: note ?? 'The approval request was rejected.' }
    default:
      return { behavior: 'deny', message: `Nobody approved this tool use within ${minutes(timeoutSeconds)}, so it is denied. Ask the user before trying again.` }
  }
}

export function registerApproveToolUse(server: McpServer, api: AgentApi, options: McpOptions): void {
  const timeoutSeconds = options.approvalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS
  const everyMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS

  server.registerTool(
    'approve_tool_use',
    {
      title: 'Ask a human to approve a tool use',
      description:
        'Permission prompt for a coding agent: asks a person (through Holdpoint) whether the agent may run a tool with the given input, ' +
        `and waits for the decision (up to ${minutes(timeoutSeconds)}). ` +
        'Returns one text item holding JSON: {"behavior":"allow","updatedInput":<input>} to go ahead with the input unchanged, or {"behavior":"deny","message":<why>}. ' +
        'No answer in time means deny. Calling again with the same tool_use_id never asks twice; it returns the same decision. ' +
        'Meant for --permission-prompt-tool; to ask a person a question of your own, use ask_human.',
      inputSchema: {
        tool_name: z.string().min(1).describe('The tool the agent wants to use.'),
        input: z.record(z.string(), z.unknown()).describe('The input the agent wants to call it with.'),
        tool_use_id: z.string().min(1).optional().describe('The id of this tool use; retries with the same id reuse the same request.'),
      },
      outputSchema: {
        behavior: z.enum(['allow', 'deny']),
        updatedInput: z.record(z.string(), z.unknown()).optional(),
        message: z.string().optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    (args, extra) =>
      guarded(async () => {
        const body: CreateBody = {
          task: `Allow the agent to use the tool "${args.tool_name}"?`,
          payload: { tool_name: args.tool_name, input: args.input },
          payloadSchema: PAYLOAD_SCHEMA,
          responseSchema: APPROVAL_SCHEMA,
          timeoutSeconds,
          metadata: { via: 'mcp', tool: 'approve_tool_use', ...(args.tool_use_id !== undefined && { tool_use_id: args.tool_use_id }) },
        }
        const created = await api.create(body, args.tool_use_id === undefined ? undefined : approvalKey(args.tool_use_id))
        const expiresAt = created.expiresAt === null ? Number.NaN : Date.parse(created.expiresAt)
        const until = (Number.isFinite(expiresAt) ? expiresAt : Date.now() + timeoutSeconds * 1000) + DEADLINE_GRACE_MS
        const describe = (elapsed: number) => `Waiting for a person to approve ${args.tool_name} (${created.id}, ${Math.round(elapsed)} s so far)`
        const doc = isFinished(created.state)
          ? created
          : await waitForAnswer(api, created.id, { until, signal: extra.signal, heartbeat: heartbeatFor(extra, everyMs, describe, timeoutSeconds) })
        let final = doc
        if (!isFinished(doc.state) && !extra.signal.aborted) {
          // The expiry timer is late (workers down?): withdraw the question so a late "yes"
          // cannot look as if it had counted. If that fails, someone answered just now: use it.
          final = await api.cancel(doc.id, 'No decision before the permission prompt gave up.').then(
            () => doc,
            () => api.get(doc.id).catch(() => doc),
          )
        }
        const decision = decide(final, args.input, timeoutSeconds)
        return { content: [{ type: 'text' as const, text: JSON.stringify(decision) }], structuredContent: decision }
      }),
  )
}
