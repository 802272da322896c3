/**
 * The action ids on Holdpoint's Slack buttons. Every button's `value` is the checkpoint id
 * only: the answer a button stands for is recomputed from the schema on the server, never
 * taken from what Slack echoes back.
 */
export const ACTION = {
  claim: 'hp.claim',
  release: 'hp.release',
  open: 'hp.open',
  answerPrefix: 'hp.answer.',
  /** Confirms a typed answer read from a thread reply; the suffix is the server-side proposal id. */
  confirmPrefix: 'hp.confirm.',
  /** On a batch message; its `value` is the batch id, its members are read from our own message ref. */
  approveAll: 'hp.batch.approve',
} as const

export const FORM_CALLBACK_ID = 'hp.form'

export const ACTION_PATTERN = /^hp\.(claim|release|open|answer\.\d+|confirm\.[\w-]{1,32}|batch\.approve)$/

export function answerActionId(index: number): string {
  return `${ACTION.answerPrefix}${index}`
}

export function confirmActionId(proposalId: string): string {
  return `${ACTION.confirmPrefix}${proposalId}`
}

export type ParsedAction = { kind: 'claim' | 'release' | 'open' | 'approve-all' } | { kind: 'answer'; choice: number } | { kind: 'confirm'; proposal: string }

export function parseActionId(actionId: string): ParsedAction | null {
  if (actionId === ACTION.claim) return { kind: 'claim' }
  if (actionId === ACTION.release) return { kind: 'release' }
  if (actionId === ACTION.open) return { kind: 'open' }
  if (actionId === ACTION.approveAll) return { kind: 'approve-all' }
  if (actionId.startsWith(ACTION.answerPrefix)) {
    const choice = Number(actionId.slice(ACTION.answerPrefix.length))
    return Number.isInteger(choice) && choice >= 0 ? { kind: 'answer', choice } : null
  }
  if (actionId.startsWith(ACTION.confirmPrefix)) return { kind: 'confirm', proposal: actionId.slice(ACTION.confirmPrefix.length) }
  return null
}

/** Where a modal came from, carried in `private_metadata` (Slack caps it at 3000 chars). */
export interface FormOrigin {
  checkpointId: string
  /** The conversation of the message the button was on, for ephemeral replies. */
  channel: string | null
  /** The message the button was on (its thread parent for replies). */
  messageTs: string | null
}

export function encodeOrigin(origin: FormOrigin): string {
  return JSON.stringify({ c: origin.checkpointId, ch: origin.channel, ts: origin.messageTs })
}

export function decodeOrigin(raw: string): FormOrigin | null {
  try {
    const parsed = JSON.parse(raw) as { c?: unknown; ch?: unknown; ts?: unknown }
    if (typeof parsed.c !== 'string') return null
    const text = (v: unknown) => (typeof v === 'string' ? v : null)
    return { checkpointId: parsed.c, channel: text(parsed.ch), messageTs: text(parsed.ts) }
  } catch {
    return null
  }
}
