/**
 * The channel, as one agent sees it: one MLS group on the mesh (DESIGN.md "Actors").
 *
 *   creating | joining -> active <-> committing -> catchingUp -> committing ...
 *                         active -> closed | removed
 *
 * A commit is built on the current epoch and sent to the channel's sequencer
 * (`submitCommit`). The sequencer acknowledges it (`GroupAck`: it is the epoch's commit)
 * or refuses it as stale (`GroupNack` with the current epoch) because another member's
 * commit came first. Then the machine waits until this member has applied the commits
 * up to that epoch (`catchUp`) and builds the commit again on the new epoch, up to
 * `maxAttempts` times (RFC 9420 section 14: the delivery service orders commits, and a
 * member whose commit lost rebuilds it).
 *
 * Pure: the effects are the `submitCommit` and `catchUp` actors and the `report*`
 * actions, given real logic by src/actors/channel.actor.ts.
 */
import { assign, fromPromise, setup } from 'xstate'

export type CommitKind = 'add' | 'remove' | 'update'

export interface ChannelContext {
  name: string
  self: string
  epoch: number
  members: string[]
  /** The commit being made: its kind and how many times it was sent. */
  commit?: { kind: CommitKind, attempt: number }
  /** The epoch the sequencer named when it last refused our commit. */
  staleEpoch: number
  maxAttempts: number
  /** Started by joining (waiting for a Welcome or restoring) rather than creating. */
  joining: boolean
  reason?: string
}

export interface ChannelInput {
  name: string
  self: string
  /** Starts in `joining` (waiting for a Welcome) instead of `creating`. */
  joining?: boolean
  maxAttempts?: number
}

export interface SubmitCommitInput { kind: CommitKind, attempt: number }
export interface SubmitCommitOutput { epoch: number, members: string[] }

/** A refusal from the sequencer because the commit was built on an old epoch. */
export interface StaleCommit { stale: true, epoch: number }

export type ChannelEvent =
  | { type: 'channel.created', epoch: number, members: string[] }
  | { type: 'channel.joined', epoch: number, members: string[] }
  | { type: 'channel.failed', reason: string }
  | { type: 'commit.start', kind: CommitKind }
  | { type: 'epoch.changed', epoch: number, members: string[] }
  | { type: 'member.removed' }
  | { type: 'channel.closed', reason?: string }
  | { type: 'channel.left' }

function isStale (e: unknown): e is StaleCommit {
  return typeof e === 'object' && e !== null && (e as { stale?: unknown }).stale === true && typeof (e as { epoch?: unknown }).epoch === 'number'
}

export const channelMachine = setup({
  types: {
    context: {} as ChannelContext,
    events: {} as ChannelEvent,
    input: {} as ChannelInput
  },
  actors: {
    /** Builds the commit on the current epoch, sends it, resolves once the sequencer acked it and it is applied here. Rejects with a StaleCommit on a nack. */
    submitCommit: fromPromise<SubmitCommitOutput, SubmitCommitInput>(async () => { throw new Error('submitCommit is given by the channel actor') }),
    /** Resolves once this member has applied every commit up to `epoch`. */
    catchUp: fromPromise<void, { epoch: number }>(async () => {})
  },
  guards: {
    isJoining: ({ context }) => context.joining,
    /** The sequencer refused the commit as stale, and attempts are left. */
    canRetryStaleCommit: ({ context, event }) => isStale((event as { error?: unknown }).error) && (context.commit?.attempt ?? 0) < context.maxAttempts
  },
  actions: {
    recordEpoch: assign(({ event }) => event.type === 'epoch.changed' || event.type === 'channel.created' || event.type === 'channel.joined'
      ? { epoch: event.epoch, members: event.members }
      : {}),
    startCommit: assign(({ event }) => event.type === 'commit.start' ? { commit: { kind: event.kind, attempt: 1 } } : {}),
    countAttempt: assign(({ context }) => context.commit != null ? { commit: { ...context.commit, attempt: context.commit.attempt + 1 } } : {}),
    recordStale: assign((_, params: { epoch: number }) => ({ staleEpoch: params.epoch })),
    recordReason: assign((_, params: { reason: string }) => ({ reason: params.reason })),
    clearCommit: assign({ commit: undefined }),
    // Effects, given by the channel actor:
    reportCommitted: (_, _params: { epoch: number, members: string[] }) => {},
    reportCommitFailed: (_, _params: { error: unknown }) => {},
    reportCommitRejected: (_, _params: { epoch: number }) => {},
    reportEnded: (_, _params: { state: 'closed' | 'removed' | 'left' }) => {}
  }
}).createMachine({
  id: 'channel',
  context: ({ input }) => ({
    name: input.name,
    self: input.self,
    epoch: 0,
    members: [],
    staleEpoch: 0,
    maxAttempts: input.maxAttempts ?? 8,
    joining: input.joining === true
  }),
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'isJoining', target: 'joining' }, { target: 'creating' }]
    },
    creating: {
      on: {
        'channel.created': { target: 'active', actions: 'recordEpoch' },
        'channel.failed': { target: 'closed', actions: { type: 'recordReason', params: ({ event }) => ({ reason: event.reason }) } }
      }
    },
    joining: {
      on: {
        'channel.joined': { target: 'active', actions: 'recordEpoch' },
        'channel.failed': { target: 'closed', actions: { type: 'recordReason', params: ({ event }) => ({ reason: event.reason }) } }
      }
    },
    active: {
      on: {
        'commit.start': { target: 'committing', actions: 'startCommit' },
        'epoch.changed': { actions: 'recordEpoch' },
        'member.removed': 'removed',
        'channel.closed': 'closed',
        'channel.left': 'left'
      }
    },
    committing: {
      invoke: {
        src: 'submitCommit',
        input: ({ context }) => ({ kind: context.commit?.kind ?? 'update', attempt: context.commit?.attempt ?? 1 }),
        onDone: {
          target: 'active',
          actions: [
            { type: 'reportCommitted', params: ({ event }) => ({ epoch: event.output.epoch, members: event.output.members }) },
            assign(({ event }) => ({ epoch: event.output.epoch, members: event.output.members })),
            'clearCommit'
          ]
        },
        onError: [
          {
            guard: 'canRetryStaleCommit',
            target: 'catchingUp',
            actions: [
              { type: 'recordStale', params: ({ event }) => ({ epoch: (event.error as StaleCommit).epoch }) },
              { type: 'reportCommitRejected', params: ({ event }) => ({ epoch: (event.error as StaleCommit).epoch }) }
            ]
          },
          { target: 'active', actions: [{ type: 'reportCommitFailed', params: ({ event }) => ({ error: event.error }) }, 'clearCommit'] }
        ]
      },
      on: {
        'epoch.changed': { actions: 'recordEpoch' },
        'member.removed': { target: 'removed', actions: { type: 'reportCommitFailed', params: () => ({ error: 'removed' }) } },
        'channel.closed': { target: 'closed', actions: { type: 'reportCommitFailed', params: () => ({ error: 'closed' }) } }
      }
    },
    catchingUp: {
      invoke: {
        src: 'catchUp',
        input: ({ context }) => ({ epoch: context.staleEpoch }),
        onDone: { target: 'committing', actions: 'countAttempt' },
        onError: { target: 'active', actions: [{ type: 'reportCommitFailed', params: ({ event }) => ({ error: event.error }) }, 'clearCommit'] }
      },
      on: {
        'epoch.changed': { actions: 'recordEpoch' },
        'member.removed': { target: 'removed', actions: { type: 'reportCommitFailed', params: () => ({ error: 'removed' }) } },
        'channel.closed': { target: 'closed', actions: { type: 'reportCommitFailed', params: () => ({ error: 'closed' }) } }
      }
    },
    closed: { type: 'final', entry: { type: 'reportEnded', params: { state: 'closed' } } },
    left: { type: 'final', entry: { type: 'reportEnded', params: { state: 'left' } } },
    removed: { type: 'final', entry: { type: 'reportEnded', params: { state: 'removed' } } }
  }
})
