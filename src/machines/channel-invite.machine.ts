/**
 * Adding a member to a channel, as the inviting member runs it (src/channel/agent-channels.ts
 * has the protocol's other end).
 *
 *   starting -> requesting -> checking -> committing -> welcoming <-> welcomeBackoff
 *            \______________________________/            -> done | failed | cancelled
 *
 * requesting: a `JoinRequest` naming the channel's suite goes to the invitee, who answers
 *   with a `JoinReply` carrying a fresh key package, or declining; no answer within
 *   INVITE_TIMEOUT fails the invitation. (Skipped when the caller already has the key
 *   package: `addMember`.)
 * checking: the key package must carry a credential for exactly the invited name, bound
 *   to that name's key (src/channel/credentials.ts).
 * committing: the add commit goes through the channel's commit queue (the channel
 *   machine, src/machines/channel.machine.ts) and resolves once acked and applied.
 * welcoming: the `GroupWelcome` goes to the joiner, unicast. A joiner that just connected
 *   may not be routable everywhere yet: a route miss is retried after WELCOME_RETRY, up to
 *   `maxWelcomeSends` sends in all.
 *
 * Cancelling (the caller's signal) stops the invitation before its commit is sent: while
 * the commit is still queued it is withdrawn. A commit already sent cannot be taken back,
 * and a member added without its Welcome would be a dead leaf (RFC 9420 section 12.4.3.1:
 * only the Welcome lets the new member join), so from then on the machine runs to the
 * Welcome regardless.
 *
 * Pure: the effects are the `requestKeyPackage`, `checkKeyPackage`, `commitAdd` and
 * `sendWelcome` actors and the `withdrawCommit` action, given real logic by
 * src/channel/channel-invite.actor.ts.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'
import type { PendingWelcome } from './channel.machine.js'

/** Why an invitation failed, as data; the actor turns it into a typed error. */
export type InviteFailure =
  /** No JoinReply within the timeout. */
  | { reason: 'noReply' }
  /** The JoinRequest could not be sent. */
  | { reason: 'unsent', error: unknown }
  | { reason: 'declined', detail: string }
  /** The channel ended while the invitee was being asked. */
  | { reason: 'channelEnded', state: 'closed' | 'removed' | 'left' }
  /** The key package check, the commit or the Welcome failed with this error. */
  | { reason: 'error', error: unknown }

export interface ChannelInviteInput {
  channel: string
  /** The cipher suite the invitee's key package must be for. */
  suite: string
  /** The agent asked for a key package (invite by name). */
  invitee?: string
  /** A key package the caller already has (addMember): no JoinRequest. */
  keyPackage?: Uint8Array
  /** The id the add commit gets in the channel's commit queue (so that it can be withdrawn). */
  commitId: number
  timeoutMs?: number
  maxWelcomeSends?: number
}

export interface ChannelInviteContext {
  channel: string
  suite: string
  invitee?: string
  keyPackage?: Uint8Array
  commitId: number
  timeoutMs: number
  welcome?: PendingWelcome
  /** Sends of the Welcome so far. */
  welcomeSends: number
  maxWelcomeSends: number
  cancelRequested: boolean
  failure?: InviteFailure
}

export type ChannelInviteEvent =
  /** The invitee's JoinReply. */
  | { type: 'invite.replied', accepted: boolean, keyPackage: Uint8Array, reason?: string }
  /** The JoinRequest could not be sent. */
  | { type: 'invite.unsent', error: unknown }
  | { type: 'invite.cancel' }
  | { type: 'channel.ended', state: 'closed' | 'removed' | 'left' }

export interface RequestKeyPackageInput { channel: string, invitee: string, suite: string }
export interface CheckKeyPackageInput { keyPackage: Uint8Array, invitee?: string }
export interface CommitAddInput { commitId: number, keyPackage: Uint8Array }
export interface SendWelcomeInput { channel: string, suite: string, welcome: PendingWelcome, attempt: number }

export const INVITE_TIMEOUT_MS = 30_000
export const WELCOME_RETRY_MS = 250
/** The first send and 20 retries: five seconds for a route to a fresh joiner to settle. */
export const MAX_WELCOME_SENDS = 21

const isNoRoute = (e: unknown): boolean => (e as { name?: unknown } | null)?.name === 'NoRouteError'

export const channelInviteMachine = setup({
  types: {
    context: {} as ChannelInviteContext,
    events: {} as ChannelInviteEvent,
    input: {} as ChannelInviteInput
  },
  delays: {
    INVITE_TIMEOUT: ({ context }) => context.timeoutMs,
    WELCOME_RETRY: WELCOME_RETRY_MS
  },
  actors: {
    /** Sends the JoinRequest and reports the JoinReply (`invite.replied`) or a failed send (`invite.unsent`); stops listening when stopped. */
    requestKeyPackage: fromCallback<ChannelInviteEvent, RequestKeyPackageInput>(() => { throw new ActorNotProvidedError('requestKeyPackage', 'invite actor') }),
    /** Resolves if the key package names exactly the invitee, bound to its key. */
    checkKeyPackage: fromPromise<void, CheckKeyPackageInput>(async () => { throw new ActorNotProvidedError('checkKeyPackage', 'invite actor') }),
    /** The add commit, through the channel's commit queue: resolves once acked and applied, with the Welcome to send. */
    commitAdd: fromPromise<{ welcome?: PendingWelcome }, CommitAddInput>(async () => { throw new ActorNotProvidedError('commitAdd', 'invite actor') }),
    sendWelcome: fromPromise<void, SendWelcomeInput>(async () => { throw new ActorNotProvidedError('sendWelcome', 'invite actor') })
  },
  guards: {
    hasKeyPackage: ({ context }) => context.keyPackage != null,
    isAccepted: ({ event }) => event.type === 'invite.replied' && event.accepted,
    isCancelRequested: ({ context }) => context.cancelRequested,
    hasWelcome: ({ event }) => (event as { output?: { welcome?: PendingWelcome } }).output?.welcome != null,
    /** The Welcome found no route to the joiner yet, and sends are left. */
    canRetryWelcome: ({ context, event }) => isNoRoute((event as { error?: unknown }).error) && context.welcomeSends < context.maxWelcomeSends
  },
  actions: {
    recordKeyPackage: assign(({ event }) => event.type === 'invite.replied' ? { keyPackage: event.keyPackage } : {}),
    recordWelcome: assign((_, params: { welcome?: PendingWelcome }) => ({ welcome: params.welcome })),
    countWelcomeSend: assign(({ context }) => ({ welcomeSends: context.welcomeSends + 1 })),
    markCancelRequested: assign({ cancelRequested: true }),
    recordFailure: assign((_, params: InviteFailure) => ({ failure: params })),
    // Effects, given by the invite actor:
    withdrawCommit: (_, _params: { commitId: number }) => {}
  }
}).createMachine({
  id: 'channelInvite',
  context: ({ input }) => ({
    channel: input.channel,
    suite: input.suite,
    invitee: input.invitee,
    keyPackage: input.keyPackage,
    commitId: input.commitId,
    timeoutMs: input.timeoutMs ?? INVITE_TIMEOUT_MS,
    welcomeSends: 0,
    maxWelcomeSends: input.maxWelcomeSends ?? MAX_WELCOME_SENDS,
    cancelRequested: false
  }),
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'hasKeyPackage', target: 'committing' }, { target: 'requesting' }]
    },
    requesting: {
      invoke: {
        src: 'requestKeyPackage',
        input: ({ context }) => ({ channel: context.channel, invitee: context.invitee ?? '', suite: context.suite })
      },
      after: { INVITE_TIMEOUT: { target: 'failed', actions: { type: 'recordFailure', params: { reason: 'noReply' } } } },
      on: {
        'invite.replied': [
          { guard: 'isAccepted', target: 'checking', actions: 'recordKeyPackage' },
          { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'declined', detail: event.reason ?? 'no reason given' }) } }
        ],
        'invite.unsent': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'unsent', error: event.error }) } },
        'invite.cancel': 'cancelled',
        'channel.ended': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'channelEnded', state: event.state }) } }
      }
    },
    checking: {
      invoke: {
        src: 'checkKeyPackage',
        input: ({ context }) => ({ keyPackage: context.keyPackage ?? new Uint8Array(0), invitee: context.invitee }),
        onDone: 'committing',
        onError: { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'error', error: event.error }) } }
      },
      on: {
        'invite.cancel': 'cancelled',
        'channel.ended': { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'channelEnded', state: event.state }) } }
      }
    },
    committing: {
      invoke: {
        src: 'commitAdd',
        input: ({ context }) => ({ commitId: context.commitId, keyPackage: context.keyPackage ?? new Uint8Array(0) }),
        onDone: [
          { guard: 'hasWelcome', target: 'welcoming', actions: { type: 'recordWelcome', params: ({ event }) => ({ welcome: event.output.welcome }) } },
          { target: 'done' }
        ],
        onError: [
          { guard: 'isCancelRequested', target: 'cancelled' },
          { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'error', error: event.error }) } }
        ]
      },
      on: {
        // The channel machine withdraws the commit if it is still queued (commitAdd then
        // fails and the invitation is cancelled); if it was sent, the machine goes on.
        'invite.cancel': { actions: ['markCancelRequested', { type: 'withdrawCommit', params: ({ context }) => ({ commitId: context.commitId }) }] }
      }
    },
    welcoming: {
      entry: 'countWelcomeSend',
      invoke: {
        src: 'sendWelcome',
        input: ({ context }) => ({
          channel: context.channel,
          suite: context.suite,
          welcome: context.welcome ?? { joiner: '', bytes: new Uint8Array(0), seq: 0, wireEpoch: 0 },
          attempt: context.welcomeSends
        }),
        onDone: 'done',
        onError: [
          { guard: 'canRetryWelcome', target: 'welcomeBackoff' },
          { target: 'failed', actions: { type: 'recordFailure', params: ({ event }) => ({ reason: 'error', error: event.error }) } }
        ]
      }
    },
    welcomeBackoff: {
      after: { WELCOME_RETRY: 'welcoming' }
    },
    done: { type: 'final' },
    failed: { type: 'final' },
    cancelled: { type: 'final' }
  }
})
