/**
 * Leaving a channel. A member cannot commit its own removal (RFC 9420 section 12.2: a
 * commit whose proposals remove the committer is invalid), so it asks a member who may
 * remove it, the owner or an admin (src/channel/roles.ts; src/channel/agent-channels.ts
 * has the other end), and has left once that removal is applied in its own stream.
 *
 *   starting -> asking -> awaitingRemoval -> left
 *            \     \-> nextMember -> asking (the next member) | failed
 *            |\-> forgetting -> left                     (the last member)
 *             \-> failed                     (other members, but no owner or admin among them)
 *
 * starting: on the way to asking, tells the channel machine this member is leaving
 *   (`announceLeaving`), so the removal that follows ends the channel as `left`, not
 *   `removed`. (Forgetting needs no such word: it ends the channel as `left` itself.)
 * asking: a `LeaveRequest` goes to one owner or admin, in roles order. It answers
 *   `LeaveReply` with status `removed` once its removal commit is acked and applied, or
 *   refuses; no answer within LEAVE_TIMEOUT, a refusal or a failed send moves on to the
 *   next member. When every other member was asked, the leave fails.
 * awaitingRemoval: the removal is committed; it ends the channel here once it arrives.
 * forgetting: nobody else is left to ask: the channel just ends here.
 *
 * The channel ending (`channel.ended`), in any phase, means the member is out: `left`.
 * `leave.cancel` (the caller's signal) gives up at once.
 *
 * Pure: the effects are the `requestRemoval` and `forget` actors and the
 * `announceLeaving` action, given real logic by src/channel/channel-leave.actor.ts.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

/** Why asking one member did not get this member removed. */
export type LeaveFailure =
  | { member: string, reason: 'noReply' }
  | { member: string, reason: 'unsent', error: unknown }
  | { member: string, reason: 'refused', detail: string }

export interface ChannelLeaveInput {
  channel: string
  /** The members to ask (those who may remove this one), in order. */
  others: string[]
  /** No other member at all (default: `others` is empty): leaving just forgets the channel. */
  alone?: boolean
  timeoutMs?: number
}

export interface ChannelLeaveContext {
  channel: string
  others: string[]
  alone: boolean
  /** The member being asked, as an index into `others`. */
  index: number
  timeoutMs: number
  /** Why the last member asked did not remove this one. */
  lastFailure?: LeaveFailure
  error?: unknown
}

export type ChannelLeaveEvent =
  /** The asked member's LeaveReply. */
  | { type: 'leave.replied', removed: boolean, reason?: string }
  /** The LeaveRequest could not be sent. */
  | { type: 'leave.unsent', error: unknown }
  | { type: 'leave.cancel' }
  | { type: 'channel.ended', state: 'closed' | 'removed' | 'left' }

export interface RequestRemovalInput { channel: string, member: string }

export const LEAVE_TIMEOUT_MS = 10_000

const asked = (context: ChannelLeaveContext): string => context.others[context.index] ?? ''

export const channelLeaveMachine = setup({
  types: {
    context: {} as ChannelLeaveContext,
    events: {} as ChannelLeaveEvent,
    input: {} as ChannelLeaveInput
  },
  delays: {
    LEAVE_TIMEOUT: ({ context }) => context.timeoutMs
  },
  actors: {
    /** Sends the LeaveRequest and reports the LeaveReply (`leave.replied`) or a failed send (`leave.unsent`); stops listening when stopped. */
    requestRemoval: fromCallback<ChannelLeaveEvent, RequestRemovalInput>(() => { throw new ActorNotProvidedError('requestRemoval', 'leave actor') }),
    /** Ends the channel here and forgets its saved state. */
    forget: fromPromise<void>(async () => { throw new ActorNotProvidedError('forget', 'leave actor') })
  },
  guards: {
    hasNoOtherMember: ({ context }) => context.alone,
    hasNobodyToAsk: ({ context }) => context.others.length === 0,
    isRemoved: ({ event }) => event.type === 'leave.replied' && event.removed,
    hasMemberLeftToAsk: ({ context }) => context.index + 1 < context.others.length
  },
  actions: {
    recordFailure: assign((_, params: LeaveFailure) => ({ lastFailure: params })),
    recordError: assign((_, params: { error: unknown }) => ({ error: params.error })),
    askNextMember: assign(({ context }) => ({ index: context.index + 1 })),
    // Effects, given by the leave actor:
    announceLeaving: () => {}
  }
}).createMachine({
  id: 'channelLeave',
  context: ({ input }) => ({
    channel: input.channel,
    others: input.others,
    alone: input.alone ?? input.others.length === 0,
    index: 0,
    timeoutMs: input.timeoutMs ?? LEAVE_TIMEOUT_MS
  }),
  initial: 'starting',
  on: {
    'channel.ended': '.left',
    'leave.cancel': '.cancelled'
  },
  states: {
    starting: {
      always: [{ guard: 'hasNoOtherMember', target: 'forgetting' }, { guard: 'hasNobodyToAsk', target: 'failed' }, { target: 'asking', actions: 'announceLeaving' }]
    },
    asking: {
      invoke: {
        src: 'requestRemoval',
        input: ({ context }) => ({ channel: context.channel, member: asked(context) })
      },
      after: {
        LEAVE_TIMEOUT: { target: 'nextMember', actions: { type: 'recordFailure', params: ({ context }) => ({ member: asked(context), reason: 'noReply' }) } }
      },
      on: {
        'leave.replied': [
          { guard: 'isRemoved', target: 'awaitingRemoval' },
          { target: 'nextMember', actions: { type: 'recordFailure', params: ({ context, event }) => ({ member: asked(context), reason: 'refused', detail: event.reason ?? '' }) } }
        ],
        'leave.unsent': { target: 'nextMember', actions: { type: 'recordFailure', params: ({ context, event }) => ({ member: asked(context), reason: 'unsent', error: event.error }) } }
      }
    },
    nextMember: {
      always: [{ guard: 'hasMemberLeftToAsk', target: 'asking', actions: 'askNextMember' }, { target: 'failed' }]
    },
    awaitingRemoval: {},
    forgetting: {
      // The channel ends while `forget` runs; the leave is done once its saved state is gone too.
      on: { 'channel.ended': {} },
      invoke: {
        src: 'forget',
        onDone: 'left',
        onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }) => ({ error: event.error }) } }
      }
    },
    left: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' }
  }
})
