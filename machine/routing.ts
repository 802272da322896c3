import type { CheckpointContext, CheckpointInput, Effect, EscalationStep } from './types.js'

/**
 * Time and routing rules: when the next escalation and reminder are due, and what a tier
 * change does to who hears and who may answer. Pure functions over the context.
 */

export function escalationDueAt(step: EscalationStep | undefined, from: number): number | null {
  return step ? from + step.afterSeconds * 1000 : null
}

export function initialRouting(input: CheckpointInput): Pick<
  CheckpointContext,
  'tier' | 'escalation' | 'nextEscalationAt' | 'tierNotify' | 'reminders' | 'remindersSent' | 'nextReminderAt'
> {
  const escalation = input.escalation ?? []
  const reminders = input.reminders ?? null
  return {
    tier: 0,
    escalation,
    nextEscalationAt: escalationDueAt(escalation[0], input.now),
    tierNotify: input.notify,
    reminders,
    remindersSent: 0,
    nextReminderAt: reminders ? input.now + reminders.everySeconds * 1000 : null,
  }
}

/** The schedule effects for whatever timers the context says are due next. */
export function timerEffects(ctx: Pick<CheckpointContext, 'nextEscalationAt' | 'nextReminderAt'>): Effect[] {
  const out: Effect[] = []
  if (ctx.nextEscalationAt !== null) out.push({ type: 'schedule', timer: 'checkpoint.escalate', at: ctx.nextEscalationAt })
  if (ctx.nextReminderAt !== null) out.push({ type: 'schedule', timer: 'checkpoint.remind', at: ctx.nextReminderAt })
  return out
}

/** Moving to the next tier: its people are told and, if it names them, become who may answer. */
export function escalate(ctx: CheckpointContext, now: number): Partial<CheckpointContext> {
  const step = ctx.escalation[ctx.tier]
  if (!step) return { nextEscalationAt: null }
  const assignTo = step.assignTo ?? ctx.assignTo
  return {
    tier: ctx.tier + 1,
    notify: [...new Set([...ctx.notify, ...step.notify])],
    tierNotify: step.notify,
    assignTo,
    // A claim by someone the new tier no longer admits would block the people now asked.
    claimedBy: step.assignTo ? null : ctx.claimedBy,
    nextEscalationAt: escalationDueAt(ctx.escalation[ctx.tier + 1], now),
  }
}

export function nextReminder(ctx: CheckpointContext, now: number): Partial<CheckpointContext> {
  const sent = ctx.remindersSent + 1
  const more = ctx.reminders !== null && sent < ctx.reminders.max
  return { remindersSent: sent, nextReminderAt: more && ctx.reminders ? now + ctx.reminders.everySeconds * 1000 : null }
}

/** Timers that must not fire once the checkpoint is finished. */
export function cancelAllTimers(ctx: CheckpointContext): Effect[] {
  const out: Effect[] = [{ type: 'cancelTimer', timer: 'checkpoint.timeout', at: ctx.timeoutAt }]
  if (ctx.nextEscalationAt !== null) out.push({ type: 'cancelTimer', timer: 'checkpoint.escalate', at: ctx.nextEscalationAt })
  if (ctx.nextReminderAt !== null) out.push({ type: 'cancelTimer', timer: 'checkpoint.remind', at: ctx.nextReminderAt })
  return out
}
