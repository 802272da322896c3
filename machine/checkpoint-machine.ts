import { and, assign, setup } from 'xstate'
import { mayAct, respondedBy } from './identity.js'
import type { CheckpointContext, CheckpointEvent, CheckpointInput, Effect } from './types.js'

/**
 * The checkpoint lifecycle. Pure: it is only ever advanced with XState's `transition()`.
 * It has no `after` timers (they would not survive persistence): deadlines are `schedule`
 * effects that come back later as `checkpoint.timeout` events. Every action is an effect
 * descriptor the store writes to the outbox; nothing here touches the world.
 */
type EffectParams<T extends Effect['type']> = Omit<Extract<Effect, { type: T }>, 'type'>

// Actions are descriptors only: the store turns the returned action objects into outbox
// entries, so their implementations must never run.
const descriptorOnly = () => {
  throw new Error('checkpoint effects are executed by workers, never by the machine')
}

const updateEveryone = { type: 'publishUpdate', params: ({ context }: { context: CheckpointContext }) => ({ recipients: context.deliveredTo }) } as const

export const checkpointMachine = setup({
  // XState's documented way to declare types: the assertion is the declaration.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  types: {} as {
    context: CheckpointContext
    events: CheckpointEvent
    input: CheckpointInput
  },
  actions: {
    deliver: (_: unknown, _params: EffectParams<'deliver'>) => descriptorOnly(),
    schedule: (_: unknown, _params: EffectParams<'schedule'>) => descriptorOnly(),
    cancelTimer: (_: unknown, _params: EffectParams<'cancelTimer'>) => descriptorOnly(),
    resume: (_: unknown, _params: EffectParams<'resume'>) => descriptorOnly(),
    publishUpdate: (_: unknown, _params: EffectParams<'publishUpdate'>) => descriptorOnly(),
    touch: assign({ updatedAt: ({ event, context }) => Math.max(context.updatedAt, event.now) }),
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
      'by' in event && (event.by.channel === 'api' || context.claimedBy === null || context.claimedBy.actor === event.by.actor),
    unclaimed: ({ context }) => context.claimedBy === null,
    isClaimant: ({ context, event }) =>
      'by' in event && (event.by.channel === 'api' || (context.claimedBy !== null && context.claimedBy.actor === event.by.actor)),
    isCurrentDeadline: ({ context, event }) => event.type === 'checkpoint.timeout' && event.dueAt === context.timeoutAt,
    hasDefaultAnswer: ({ context }) => context.onTimeout !== null,
  },
}).createMachine({
  id: 'checkpoint',
  context: ({ input }) => ({
    id: input.id,
    notify: input.notify,
    assignTo: input.assignTo,
    createdAt: input.now,
    updatedAt: input.now,
    timeoutAt: input.timeoutAt,
    onTimeout: input.onTimeout,
    deliveredTo: [],
    claimedBy: null,
    response: null,
    respondedBy: null,
    cancelReason: null,
  }),
  initial: 'open',
  entry: [
    { type: 'deliver', params: ({ context }) => ({ recipients: context.notify }) },
    { type: 'schedule', params: ({ context }) => ({ timer: 'checkpoint.timeout' as const, at: context.timeoutAt }) },
  ],
  states: {
    open: {
      initial: 'pending',
      on: {
        'checkpoint.delivered': { actions: ['touch', 'recordDelivery'] },
        'checkpoint.claim': {
          guard: and(['mayAnswer', 'unclaimed']),
          target: '.claimed',
          actions: ['touch', assign({ claimedBy: ({ event }) => ('by' in event ? respondedBy(event.by) : null) }), updateEveryone],
        },
        'checkpoint.answer': {
          guard: and(['mayAnswer', 'notClaimedByOther']),
          target: 'verified',
          actions: [
            'touch',
            assign({
              response: ({ event }) => (event.type === 'checkpoint.answer' ? event.response : null),
              respondedBy: ({ event }) => ('by' in event ? respondedBy(event.by) : null),
            }),
          ],
        },
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
              }),
            ],
          },
          { guard: 'isCurrentDeadline', target: 'expired', actions: ['touch'] },
        ],
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
      },
    },
    // The answer has passed every check; without a verifier that is immediate.
    verified: {
      always: { target: 'resolved' },
    },
    resolved: {
      type: 'final',
      entry: [
        { type: 'cancelTimer', params: ({ context }) => ({ timer: 'checkpoint.timeout' as const, at: context.timeoutAt }) },
        updateEveryone,
        { type: 'resume', params: { state: 'resolved' } },
      ],
    },
    expired: {
      type: 'final',
      entry: [updateEveryone, { type: 'resume', params: { state: 'expired' } }],
    },
    cancelled: {
      type: 'final',
      entry: [
        { type: 'cancelTimer', params: ({ context }) => ({ timer: 'checkpoint.timeout' as const, at: context.timeoutAt }) },
        updateEveryone,
        { type: 'resume', params: { state: 'cancelled' } },
      ],
    },
    // Reserved for verification exhaustion: an answer that never passed its verifier.
    rejected: { type: 'final' },
  },
})

export type CheckpointMachine = typeof checkpointMachine
