/**
 * Asking to join a channel, as the agent that asks runs it (src/channel/join-requests.ts
 * is the members' end, src/channel/channel-join-request.actor.ts gives the effects).
 *
 *   asking (sending -> waiting) -> joining -> joined
 *          \-> declined | timedOut | failed | cancelled
 *
 * asking: listens from the start (`listen`) for a decline (`join.declined`, a JoinReply
 *   to the request) and for a Welcome to the channel (`join.welcomed`), so that neither is
 *   missed if it comes before the request's acknowledgement.
 *   sending: the `JoinRequest` (an ask: `slim.join: ask`, carrying a fresh key package of
 *     this agent) goes multicast to the channel's name: the sequencer archives it in the
 *     channel's stream and every member reads it there, also one that starts later.
 *   waiting: for a member with the right to add to approve (its add commit, then the
 *     Welcome) or decline. No answer within JOIN_TIMEOUT (from the start of asking) ends
 *     the request `timedOut`.
 * joining: a Welcome came; this agent joins from it. Once here the join runs to its end
 *   (a cancel or the timeout no longer stops it: the member already added this agent, and
 *   a member added without joining would be a dead leaf, RFC 9420 section 12.4.3.1). A
 *   Welcome that is for none of this agent's key packages is skipped and the wait goes on
 *   (with a fresh timeout).
 *
 * Pure: the effects are the `listen`, `sendRequest` and `joinFromWelcome` actors.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

/** Why a request to join ended other than joined, as data; the actor turns it into a typed error. */
export type JoinRequestFailure =
  /** No answer within the timeout. */
  | { reason: 'timeout' }
  | { reason: 'declined', by: string, detail: string }
  /** The JoinRequest could not be sent (refused by the relay, no route, ...). */
  | { reason: 'unsent', error: unknown }
  /** Joining from the Welcome failed with this error. */
  | { reason: 'error', error: unknown }

export interface ChannelJoinRequestInput {
  channel: string
  timeoutMs?: number
}

export interface ChannelJoinRequestContext {
  channel: string
  timeoutMs: number
  /** The sequence number the channel's sequencer gave the request. */
  seq?: number
  /** A Welcome came (while sending) and is yet to be joined from. */
  welcomed: boolean
  cancelRequested: boolean
  failure?: JoinRequestFailure
}

export type ChannelJoinRequestEvent =
  /** A Welcome to the channel arrived. */
  | { type: 'join.welcomed' }
  /** A member declined the request (its JoinReply). */
  | { type: 'join.declined', by: string, reason?: string }
  | { type: 'join.cancel' }

export interface ListenInput { channel: string }
export interface SendRequestInput { channel: string, timeoutMs: number }
export interface JoinFromWelcomeInput { channel: string }

export const JOIN_REQUEST_TIMEOUT_MS = 60_000
/** The longest a request may wait (members drop one older than this, whatever it says). */
export const MAX_JOIN_REQUEST_WAIT_MS = 3_600_000

export const channelJoinRequestMachine = setup({
  types: {
    context: {} as ChannelJoinRequestContext,
    events: {} as ChannelJoinRequestEvent,
    input: {} as ChannelJoinRequestInput
  },
  delays: {
    JOIN_TIMEOUT: ({ context }) => context.timeoutMs
  },
  actors: {
    /** Reports `join.declined` (a JoinReply declining the request) and `join.welcomed` (a Welcome to the channel, also one already waiting); stops listening when stopped. */
    listen: fromCallback<ChannelJoinRequestEvent, ListenInput>(() => { throw new ActorNotProvidedError('listen', 'join request actor') }),
    /** Sends the JoinRequest multicast to the channel; resolves with its sequence number once the sequencer archived it. */
    sendRequest: fromPromise<{ seq: number }, SendRequestInput>(async () => { throw new ActorNotProvidedError('sendRequest', 'join request actor') }),
    /** Joins from the Welcomes received; `joined: false` if none is for a key package of this agent. */
    joinFromWelcome: fromPromise<{ joined: boolean }, JoinFromWelcomeInput>(async () => { throw new ActorNotProvidedError('joinFromWelcome', 'join request actor') })
  },
  guards: {
    isWelcomed: ({ context }) => context.welcomed,
    isJoined: ({ event }) => (event as { output?: { joined?: boolean } }).output?.joined === true,
    isCancelRequested: ({ context }) => context.cancelRequested
  },
  actions: {
    recordSeq: assign((_, params: { seq: number }) => ({ seq: params.seq })),
    markWelcomed: assign({ welcomed: true }),
    clearWelcomed: assign({ welcomed: false }),
    markCancelRequested: assign({ cancelRequested: true }),
    recordFailure: assign((_, params: JoinRequestFailure) => ({ failure: params }))
  }
}).createMachine({
  id: 'channelJoinRequest',
  context: ({ input }) => ({
    channel: input.channel,
    timeoutMs: Math.min(input.timeoutMs ?? JOIN_REQUEST_TIMEOUT_MS, MAX_JOIN_REQUEST_WAIT_MS),
    welcomed: false,
    cancelRequested: false
  }),
  initial: 'asking',
  states: {
    asking: {
      invoke: { src: 'listen', input: ({ context }) => ({ channel: context.channel }) },
      after: { JOIN_TIMEOUT: { target: 'timedOut', actions: { type: 'recordFailure', params: { reason: 'timeout' } } } },
      on: {
        'join.declined': { target: 'declined', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'declined', by: event.by, detail: event.reason ?? 'no reason given' }) } },
        'join.cancel': 'cancelled'
      },
      initial: 'sending',
      states: {
        sending: {
          invoke: {
            src: 'sendRequest',
            input: ({ context }) => ({ channel: context.channel, timeoutMs: context.timeoutMs }),
            onDone: { target: 'waiting', actions: { type: 'recordSeq', params: ({ event }) => ({ seq: event.output.seq }) } },
            onError: { target: '#channelJoinRequest.failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'unsent', error: event.error }) } }
          },
          on: { 'join.welcomed': { actions: 'markWelcomed' } }
        },
        waiting: {
          always: { guard: 'isWelcomed', target: '#channelJoinRequest.joining' },
          on: { 'join.welcomed': '#channelJoinRequest.joining' }
        }
      }
    },
    joining: {
      entry: 'clearWelcomed',
      invoke: {
        src: 'joinFromWelcome',
        input: ({ context }) => ({ channel: context.channel }),
        onDone: [
          { guard: 'isJoined', target: 'joined' },
          { guard: 'isCancelRequested', target: 'cancelled' },
          { target: '#channelJoinRequest.asking.waiting' }
        ],
        onError: { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'error', error: event.error }) } }
      },
      on: {
        // Too late to stop the join (the member added this agent): remembered, in case this Welcome is not ours.
        'join.cancel': { actions: 'markCancelRequested' }
      }
    },
    joined: { type: 'final' },
    declined: { type: 'final' },
    timedOut: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' }
  }
})
