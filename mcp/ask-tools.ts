// ask_human, wait_for_answer and cancel_request: asking a person a question, waiting for the
// answer across several tool calls, and withdrawing the question.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import type { AgentApi, CreateBody } from './agent-api.js'
import { answerOf, answerOutputShape, answerText } from './answer.js'
import { APPROVAL_SCHEMA, DEFAULT_PROGRESS_INTERVAL_MS, DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS, type McpOptions } from './options.js'
import { heartbeatFor, type ToolExtra } from './progress.js'
import { guarded } from './tool-result.js'
import { waitForAnswer } from './waiting.js'

const waitSecondsField = z
  .number()
  .min(0)
  .optional()
  .describe(`How long to wait in this call for the answer, in seconds (default ${DEFAULT_WAIT_SECONDS}, at most ${MAX_WAIT_SECONDS}; larger values count as ${MAX_WAIT_SECONDS}). 0 returns at once.`)

const askInput = {
  task: z.string().min(1).describe('The question for the person, in plain words, with enough context to decide without asking back (what, why, what happens on yes).'),
  payload: z.unknown().optional().describe('Structured details shown to the person next to the question (amounts, ids, a diff summary).'),
  responseSchema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('JSON Schema of the answer you need. Default: {"approved": boolean, "note"?: string}, a yes/no with an optional reason.'),
  notify: z
    .array(z.string())
    .optional()
    .describe('Who hears about it: "dashboard" (default), "email:person@example.com", "group:<name>", or any "<channel>:<address>" this server runs (GET the error message of a bad one for the list).'),
  assignTo: z.array(z.string()).optional().describe('Who may answer (same forms as notify). Default: everyone notified.'),
  timeoutSeconds: z.number().int().min(1).optional().describe('How long the request stays open for an answer (default 24 h). After that it expires without one.'),
  waitSeconds: waitSecondsField,
}

const clampWait = (seconds: number | undefined) => Math.min(seconds ?? DEFAULT_WAIT_SECONDS, MAX_WAIT_SECONDS)

function stillWaiting(id: string): (elapsed: number) => string {
  return (elapsed) => `Waiting for a person to answer ${id} (${Math.round(elapsed)} s so far)`
}

export function registerAskTools(server: McpServer, api: AgentApi, options: McpOptions): void {
  const everyMs = options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS

  const waitAndReport = async (id: string, seconds: number, extra: ToolExtra) => {
    const doc = await waitForAnswer(api, id, {
      until: Date.now() + seconds * 1000,
      signal: extra.signal,
      ...(seconds > 0 && { heartbeat: heartbeatFor(extra, everyMs, stillWaiting(id), seconds) }),
    })
    const out = answerOf(doc)
    return { content: [{ type: 'text' as const, text: answerText(out) }], structuredContent: out }
  }

  server.registerTool(
    'ask_human',
    {
      title: 'Ask a human',
      description:
        'Ask a person a question and get a typed answer back (through Holdpoint: the dashboard, chat, email or push, as the server is set up). ' +
        'Use it before anything irreversible, costly or outside what you were told to do, and when you need a decision or information only a person has. ' +
        `It waits up to waitSeconds (default ${DEFAULT_WAIT_SECONDS}) for the answer. ` +
        'Returns {checkpointId, state, response?, respondedBy?}. state "resolved" means `response` holds the answer (by default {"approved": boolean, "note"?: string}). ' +
        'If state is still open (pending, delivered, claimed), the person has not answered yet: call wait_for_answer with the checkpointId, as often as needed; never ask the same question again. ' +
        'expired or cancelled means there is no answer: do not proceed as if approved.',
      inputSchema: askInput,
      outputSchema: answerOutputShape,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
    },
    (args, extra) =>
      guarded(async () => {
        const body: CreateBody = { task: args.task, responseSchema: args.responseSchema ?? APPROVAL_SCHEMA, metadata: { via: 'mcp' } }
        if (args.payload !== undefined) body.payload = args.payload
        if (args.notify !== undefined) body.notify = args.notify
        if (args.assignTo !== undefined) body.assignTo = args.assignTo
        if (args.timeoutSeconds !== undefined) body.timeoutSeconds = args.timeoutSeconds
        const created = await api.create(body)
        return waitAndReport(created.id, clampWait(args.waitSeconds), extra)
      }),
  )

  server.registerTool(
    'wait_for_answer',
    {
      title: 'Wait for a human’s answer',
      description:
        'Keep waiting for the answer to a question asked earlier with ask_human. ' +
        `Waits up to waitSeconds (default ${DEFAULT_WAIT_SECONDS}) and returns the same shape as ask_human: {checkpointId, state, response?, respondedBy?}. ` +
        'If the state is still open, call it again with the same checkpointId (tell the user you are waiting for a person if that helps). ' +
        'resolved: use `response`. expired, cancelled, rejected: there is no answer; do not proceed as if approved.',
      inputSchema: { checkpointId: z.string().min(1).describe('The checkpointId ask_human returned (cp_…).'), waitSeconds: waitSecondsField },
      outputSchema: answerOutputShape,
      annotations: { readOnlyHint: true, openWorldHint: true },
    },
    (args, extra) => guarded(() => waitAndReport(args.checkpointId, clampWait(args.waitSeconds), extra)),
  )

  server.registerTool(
    'cancel_request',
    {
      title: 'Withdraw a question',
      description:
        'Withdraw a question asked with ask_human that no longer needs an answer (the task changed, or you found out yourself). ' +
        'People stop being asked and a later answer is refused. Returns {checkpointId, state: "cancelled"}. ' +
        'Fails (isError) if the request already finished; then read the outcome with wait_for_answer instead.',
      inputSchema: {
        checkpointId: z.string().min(1).describe('The checkpointId ask_human returned (cp_…).'),
        reason: z.string().max(1000).optional().describe('Why it is withdrawn; shown to the people asked and kept in the audit.'),
      },
      outputSchema: { checkpointId: z.string(), state: z.string() },
      annotations: { destructiveHint: true, idempotentHint: true, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const doc = await api.cancel(args.checkpointId, args.reason)
        const out = { checkpointId: doc.id, state: doc.state }
        return { content: [{ type: 'text' as const, text: `Request ${doc.id} is ${doc.state}; nobody will be asked about it any more.` }], structuredContent: out }
      }),
  )
}
