import { and, assign, not, setup } from 'xstate'
import { mayAct, respondedBy } from './identity.js'
import { decide, hasAnswered, quorumAnswer } from './quorum.js'
import { initialContext } from './initial-context.js'
import { cancelAllTimers, escalate, nextReminder, timerEffects } from './routing.js'
import type { CheckpointContext, CheckpointEvent, CheckpointInput, Effect } from './types.js'

/**
 * The checkpoint lifecycle. Pure: it is only ever advanced with XState's `transition()`.
 * It has no `after` timers (they would not survive persistence): deadlines, escalations and
 * reminders are `schedule` effects that come back later as events carrying their `dueAt`,
 * and a firing whose `dueAt` is no longer the one in the context is ignored.
 *
 * Every side effect is an `emit` action whose params list effect descriptors; the store
 * writes them to the outbox and workers execute them. Nothing here touches the world.
 */

// Actions are descriptors only: the store turns the returned action objects into outbox
// entries, so their implementation must never run.
const descriptorOnly = () => {
  throw new Error('checkpoint effects are executed by workers, never by the machine')
}

type Ctx = { context: CheckpointContext; event: CheckpointEvent }
const emit = (effects: (args: Ctx) => Effect[]) => ({ type: 'emit' as const, params: (args: Ctx) => ({ effects: effects(args) }) })
const updateEveryone = emit(({ context }) => [{ type: 'publishUpdate', recipients: context.deliveredTo }])
const finish = (state: 'resolved' | 'expired' | 'cancelled' | 'rejected') =>
  emit(({ context }) => [...cancelAllTimers(context), { type: 'publishUpdate', recipients: context.deliveredTo }, { type: 'resume', state }])

const by = (event: CheckpointEvent) => ('by' in event ? event.by : null)

export const checkpointMachine = setup({
  // XState's documented way to declare types: the assertion is the declaration.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  types: {} as {
    context: CheckpointContext
    events: CheckpointEvent
    input: CheckpointInput
  },
  actions: {
    emit: (_: unknown, _params: { effects: Effect[] }) => descriptorOnly(),
    touch: assign({ updatedAt: ({ event, context }) => Math.max(context.updatedAt, event.now) }),
    recordFailedVerdict: assign(({ context, event }) => ({
      attempts: context.attempts + 1,
      pendingAnswer: null,
      lastVerdict: { passed: false, reason: event.type === 'checkpoint.verdict' ? event.reason : '' },
    })),
    recordDelivery: assign({
      deliveredTo: ({ context, event }) =>
        event.type !== 'checkpoint.delivered' || context.deliveredTo.includes(event.recipient)
          ? context.deliveredTo
          : [...context.deliveredTo, event.recipient],
    }),
  },
  guards: {
    mayAnswer: ({ context, event }) => 'by' in event && mayAct(context, event.by),
    notClaimedByOther: ({ context, event }) =>
      'by' in event &&
      (event.by.channel === 'api' || context.quorum !== null || context.claimedBy === null || context.claimedBy.actor === event.by.actor),
    unclaimed: ({ context }) => context.claimedBy === null,
    newRecipient: ({ context, event }) => event.type === 'checkpoint.delivered' && !context.deliveredTo.includes(event.recipient),
    notVerifying: ({ context }) => context.pendingAnswer === null,
    isClaimant: ({ context, event }) =>
      'by' in event && (event.by.channel === 'api' || (context.claimedBy !== null && context.claimedBy.actor === event.by.actor)),
    isCurrentDeadline: ({ context, event }) => event.type === 'checkpoint.timeout' && event.dueAt === context.timeoutAt,
    isCurrentEscalation: ({ context, event }) => event.type === 'checkpoint.escalate' && event.dueAt === context.nextEscalationAt,
    isCurrentReminder: ({ context, event }) => event.type === 'checkpoint.remind' && event.dueAt === context.nextReminderAt,
    stepLeavesClaimsAlone: ({ context }) => context.claimedBy !== null && context.escalation[context.tier]?.skipIfClaimed === true,
    hasDefaultAnswer: ({ context }) => context.onTimeout !== null,
    hasQuorum: ({ context }) => context.quorum !== null,
    firstAnswerFromPerson: ({ context, event }) => 'by' in event && !hasAnswered(context, event.by),
    completesQuorum: ({ context, event }) => {
      if (context.quorum === null || event.type !== 'checkpoint.answer') return false
      return decide(context.quorum, [...context.answers, quorumAnswer(context.quorum, event.by, event.response, event.now)]).done
    },
    needsVerification: ({ context }) => context.verify !== null,
    deadlineInFuture: ({ event }) => event.type === 'checkpoint.extend' && event.timeoutAt > event.now,
    isCurrentAttempt: ({ context, event }) => event.type === 'checkpoint.verdict' && context.pendingAnswer !== null && event.attempt === context.attempts + 1,
    passed: ({ event }) => event.type === 'checkpoint.verdict' && event.passed,
    attemptsExhausted: ({ context }) => context.verify !== null && context.attempts + 1 >= context.verify.maxAttempts,
  },
}).createMachine({
  id: 'checkpoint',
  context: ({ input }) => initialContext(input),
  initial: 'open',
  entry: emit(({ context }) => [
    { type: 'deliver', recipients: context.notify },
    { type: 'schedule', timer: 'checkpoint.timeout', at: context.timeoutAt },
    ...timerEffects(context),
  ]),
  states: {
    open: {
      initial: 'pending',
      on: {
        // A second confirmation for the same recipient (a re-dispatched delivery) is not news.
        'checkpoint.delivered': { guard: 'newRecipient', actions: ['touch', 'recordDelivery'] },
        'checkpoint.claim': {
          guard: and(['mayAnswer', 'unclaimed', 'notVerifying']),
          target: '.claimed',
          actions: ['touch', assign({ claimedBy: ({ event }) => respondedBy(by(event)!) }), updateEveryone],
        },
        'checkpoint.answer': [
          {
            guard: and(['mayAnswer', 'notVerifying', 'hasQuorum', 'firstAnswerFromPerson', 'completesQuorum']),
            target: 'resolved',
            actions: [
              'touch',
              assign(({ context, event }) => {
                if (event.type !== 'checkpoint.answer' || context.quorum === null) return {}
                const answers = [...context.answers, quorumAnswer(context.quorum, event.by, event.response, event.now)]
                const decision = decide(context.quorum, answers)
                if (!decision.done) return { answers }
                return { answers, outcome: decision.outcome, response: decision.response, respondedBy: decision.by }
              }),
            ],
          },
          {
            guard: and(['mayAnswer', 'notVerifying', 'hasQuorum', 'firstAnswerFromPerson']),
            target: '.delivered',
            actions: [
              'touch',
              assign(({ context, event }) =>
                event.type !== 'checkpoint.answer' || context.quorum === null
                  ? {}
                  : { answers: [...context.answers, quorumAnswer(context.quorum, event.by, event.response, event.now)], claimedBy: null },
              ),
              updateEveryone,
            ],
          },
          {
            guard: and(['mayAnswer', 'notVerifying', not('hasQuorum'), 'notClaimedByOther', 'needsVerification']),
            target: '.verifying',
            actions: [
              'touch',
              assign({
                pendingAnswer: ({ event }) => (event.type === 'checkpoint.answer' ? { by: respondedBy(event.by), response: event.response } : null),
                claimedBy: ({ event }) => respondedBy(by(event)!),
              }),
              emit(({ context }) => [{ type: 'verify', attempt: context.attempts + 1 }]),
            ],
          },
          {
            guard: and(['mayAnswer', 'notVerifying', not('hasQuorum'), 'notClaimedByOther']),
            target: 'verified',
            actions: [
              'touch',
              assign({
                response: ({ event }) => (event.type === 'checkpoint.answer' ? event.response : null),
                respondedBy: ({ event }) => respondedBy(by(event)!),
              }),
            ],
          },
        ],
        'checkpoint.verdict': [
          {
            guard: and(['isCurrentAttempt', 'passed']),
            target: 'verified',
            actions: [
              'touch',
              assign(({ context, event }) => {
                if (event.type !== 'checkpoint.verdict' || context.pendingAnswer === null) return {}
                return {
                  response: event.response !== undefined ? event.response : context.pendingAnswer.response,
                  respondedBy: context.pendingAnswer.by,
                  pendingAnswer: null,
                  lastVerdict: { passed: true, reason: event.reason },
                }
              }),
            ],
          },
          {
            guard: and(['isCurrentAttempt', 'attemptsExhausted']),
            target: 'rejected',
            actions: [
              'touch',
              'recordFailedVerdict',
            ],
          },
          {
            guard: 'isCurrentAttempt',
            // Back to the person who answered, with the reason, to try again.
            target: '.claimed',
            actions: [
              'touch',
              'recordFailedVerdict',
              updateEveryone,
            ],
          },
        ],
        'checkpoint.cancel': {
          target: 'cancelled',
          actions: ['touch', assign({ cancelReason: ({ event }) => (event.type === 'checkpoint.cancel' ? (event.reason ?? null) : null) })],
        },
        'checkpoint.timeout': [
          {
            guard: and(['isCurrentDeadline', 'hasDefaultAnswer']),
            target: 'resolved',
            actions: [
              'touch',
              assign({
                response: ({ context }) => context.onTimeout?.response ?? null,
                respondedBy: { channel: 'system', actor: 'timeout', default: true },
                pendingAnswer: null,
              }),
            ],
          },
          { guard: 'isCurrentDeadline', target: 'expired', actions: ['touch', assign({ pendingAnswer: null })] },
        ],
        'checkpoint.escalate': [
          {
            // The step leaves a claimed checkpoint alone: look again after the same delay.
            guard: and(['isCurrentEscalation', 'stepLeavesClaimsAlone']),
            actions: [
              'touch',
              assign(({ context, event }) => ({ nextEscalationAt: event.now + (context.escalation[context.tier]?.afterSeconds ?? 0) * 1000 })),
              emit(({ context }) => (context.nextEscalationAt === null ? [] : [{ type: 'schedule', timer: 'checkpoint.escalate', at: context.nextEscalationAt }])),
            ],
          },
          {
            guard: 'isCurrentEscalation',
            target: '.delivered',
            actions: [
              'touch',
              assign(({ context, event }) => escalate(context, event.now)),
              emit(({ context }) => [
                { type: 'deliver', recipients: context.tierNotify },
                { type: 'publishUpdate', recipients: context.deliveredTo },
                ...(context.nextEscalationAt === null ? [] : [{ type: 'schedule' as const, timer: 'checkpoint.escalate' as const, at: context.nextEscalationAt }]),
              ]),
            ],
          },
        ],
        'checkpoint.remind': {
          guard: 'isCurrentReminder',
          actions: [
            'touch',
            emit(({ context }) => [{ type: 'remind', recipients: context.tierNotify }]),
            assign(({ context, event }) => nextReminder(context, event.now)),
            emit(({ context }) => (context.nextReminderAt === null ? [] : [{ type: 'schedule', timer: 'checkpoint.remind', at: context.nextReminderAt }])),
          ],
        },
        'checkpoint.extend': {
          guard: 'deadlineInFuture',
          actions: [
            'touch',
            emit(({ context }) => [{ type: 'cancelTimer', timer: 'checkpoint.timeout', at: context.timeoutAt }]),
            assign({ timeoutAt: ({ context, event }) => (event.type === 'checkpoint.extend' ? event.timeoutAt : context.timeoutAt) }),
            emit(({ context }) => [
              { type: 'schedule', timer: 'checkpoint.timeout', at: context.timeoutAt },
              { type: 'publishUpdate', recipients: context.deliveredTo },
            ]),
          ],
        },
        'checkpoint.reassign': {
          guard: 'notVerifying',
          target: '.delivered',
          actions: [
            'touch',
            assign(({ context, event }) => {
              if (event.type !== 'checkpoint.reassign') return {}
              const fresh = event.notify ?? []
              return { assignTo: event.assignTo, claimedBy: null, notify: [...new Set([...context.notify, ...fresh])], tierNotify: fresh.length > 0 ? fresh : context.tierNotify }
            }),
            emit(({ context, event }) => [
              ...(event.type === 'checkpoint.reassign' && event.notify && event.notify.length > 0 ? [{ type: 'deliver' as const, recipients: event.notify }] : []),
              { type: 'publishUpdate', recipients: context.deliveredTo },
            ]),
          ],
        },
      },
      states: {
        pending: {
          on: {
            'checkpoint.delivered': { target: 'delivered', actions: ['touch', 'recordDelivery'] },
          },
        },
        delivered: {},
        claimed: {
          on: {
            'checkpoint.release': {
              guard: 'isClaimant',
              target: 'delivered',
              actions: ['touch', assign({ claimedBy: null }), updateEveryone],
            },
          },
        },
        // An answer is with the verifier; nobody else may answer until its verdict.
        verifying: {},
      },
    },
    // The answer has passed every check; without a verifier that is immediate.
    verified: {
      always: { target: 'resolved' },
    },
    resolved: { type: 'final', entry: finish('resolved') },
    expired: { type: 'final', entry: finish('expired') },
    cancelled: { type: 'final', entry: finish('cancelled') },
    // Every answer failed verification: a distinct ending the agent can tell apart.
    rejected: { type: 'final', entry: finish('rejected') },
  },
})

export type CheckpointMachine = typeof checkpointMachine
