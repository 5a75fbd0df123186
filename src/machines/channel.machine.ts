/**
 * The channel, as one agent sees it: one MLS group on the mesh.
 *
 *   creating | joining -> active <-> committing -> catchingUp -> committing ...
 *                         active -> closed | removed | left
 *
 * The machine owns the channel's one commit queue: every commit (an add, a remove, a
 * self-update) is a `commit.request` carrying what to commit, queued in the context and
 * made one at a time from `active`. A commit is built on the current epoch and sent to
 * the channel's sequencer (`submitCommit`). The sequencer acknowledges it (`GroupAck`:
 * it is the epoch's commit) or refuses it as stale (`GroupNack` with the current epoch)
 * because another member's commit came first. Then the machine waits until this member
 * has applied the commits up to that epoch (`catchUp`) and builds the commit again on
 * the new epoch, up to `maxAttempts` times (RFC 9420 section 14: the delivery service
 * orders commits, and a member whose commit lost rebuilds it). A queued commit can be
 * withdrawn until it is taken from the queue; one taken is sent and runs to its end.
 * (A roles change is a commit like the others, queued the same way.)
 *
 * When this member is removed, the channel ends as `left` if it had asked for it
 * (`member.leaving`, from the leave machine) and as `removed` otherwise; every commit
 * still queued or under way then fails.
 *
 * Pure: the effects are the `submitCommit` and `catchUp` actors and the `report*`
 * actions, given real logic by src/channel/channel.actor.ts.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

export type CommitKind = 'add' | 'remove' | 'update' | 'roles'

/** What to commit: the data the commit is built from. */
export type CommitRequest =
  | { kind: 'add', keyPackage: Uint8Array }
  /** Removes `member`, and `also` in the same commit. */
  | { kind: 'remove', member: string, also?: string[] }
  | { kind: 'update' }
  /** Sets the channel's roles (owner only). */
  | { kind: 'roles', roles: { owner: string, admins: string[], discovery?: 'members' | 'count' | 'none' } }

export interface QueuedCommit { id: number, request: CommitRequest }

export interface ChannelContext {
  name: string
  self: string
  epoch: number
  members: string[]
  /** Commits asked for and not yet started, in order. */
  queue: QueuedCommit[]
  /** The commit being made, and how many times it was sent. */
  commit?: QueuedCommit & { attempt: number }
  /** The epoch the sequencer named when it last refused our commit. */
  staleEpoch: number
  maxAttempts: number
  /** Started by joining (waiting for a Welcome or restoring) rather than creating. */
  joining: boolean
  /** This member asked to be removed: its removal ends the channel as `left`. */
  leaving: boolean
  reason?: string
}

export interface ChannelInput {
  name: string
  self: string
  /** Starts in `joining` (waiting for a Welcome) instead of `creating`. */
  joining?: boolean
  maxAttempts?: number
}

export interface SubmitCommitInput { id: number, request: CommitRequest, attempt: number }

/** For an add: the Welcome the joiner needs, and where in the stream it joins. */
export interface PendingWelcome {
  joiner: string
  bytes: Uint8Array
  /** The sequence number of the add commit. */
  seq: number
  /** The sequencer's epoch count after the add commit. */
  wireEpoch: number
}

export interface SubmitCommitOutput { epoch: number, members: string[], welcome?: PendingWelcome }

/** A refusal from the sequencer because the commit was built on an old epoch. */
export interface StaleCommit { stale: true, epoch: number }

/** Why a commit failed without an error of its own: the channel ended, or it was withdrawn from the queue. */
export type CommitEnd = 'closed' | 'removed' | 'left' | 'withdrawn'

export type ChannelEvent =
  | { type: 'channel.created', epoch: number, members: string[] }
  | { type: 'channel.joined', epoch: number, members: string[] }
  | { type: 'channel.failed', reason: string }
  | { type: 'commit.request', id: number, request: CommitRequest }
  | { type: 'commit.withdraw', id: number }
  | { type: 'epoch.changed', epoch: number, members: string[] }
  | { type: 'member.leaving' }
  | { type: 'member.removed' }
  | { type: 'channel.closed', reason?: string }
  /** The last member left: nobody was left to remove it. */
  | { type: 'channel.left' }

function isStale (e: unknown): e is StaleCommit {
  return typeof e === 'object' && e !== null && (e as { stale?: unknown }).stale === true && typeof (e as { epoch?: unknown }).epoch === 'number'
}

type Ended = 'closed' | 'removed' | 'left'

/** The commit under way, as the report actions name it. */
function current (context: ChannelContext): { id: number, kind: CommitKind, attempt: number } {
  return { id: context.commit?.id ?? 0, kind: context.commit?.request.kind ?? 'update', attempt: context.commit?.attempt ?? 1 }
}

/** The commit under way fails because the channel ended. */
function failCurrent (error: Ended): { type: 'reportCommitFailed', params: (args: { context: ChannelContext }) => { id: number, kind: CommitKind, error: unknown } } {
  return { type: 'reportCommitFailed', params: ({ context }) => ({ id: current(context).id, kind: current(context).kind, error }) }
}

const machineSetup = setup({
  types: {
    context: {} as ChannelContext,
    events: {} as ChannelEvent,
    input: {} as ChannelInput
  },
  actors: {
    /** Builds the commit on the current epoch, sends it, resolves once the sequencer acked it and it is applied here. Rejects with a StaleCommit on a nack. */
    submitCommit: fromPromise<SubmitCommitOutput, SubmitCommitInput>(async () => { throw new ActorNotProvidedError('submitCommit', 'channel actor') }),
    /** Resolves once this member has applied every commit up to `epoch`. */
    catchUp: fromPromise<void, { epoch: number }>(async () => {})
  },
  guards: {
    isJoining: ({ context }) => context.joining,
    isLeaving: ({ context }) => context.leaving,
    hasQueuedCommit: ({ context }) => context.queue.length > 0,
    /** The sequencer refused the commit as stale, and attempts are left. */
    canRetryStaleCommit: ({ context, event }) => isStale((event as { error?: unknown }).error) && (context.commit?.attempt ?? 0) < context.maxAttempts
  },
  actions: {
    recordEpoch: assign(({ event }) => event.type === 'epoch.changed' || event.type === 'channel.created' || event.type === 'channel.joined'
      ? { epoch: event.epoch, members: event.members }
      : {}),
    enqueueCommit: assign(({ context, event }) => event.type === 'commit.request' ? { queue: [...context.queue, { id: event.id, request: event.request }] } : {}),
    takeNextCommit: assign(({ context }) => {
      const [next, ...rest] = context.queue
      return next != null ? { commit: { ...next, attempt: 1 }, queue: rest } : {}
    }),
    markLeaving: assign({ leaving: true }),
    countAttempt: assign(({ context }) => context.commit != null ? { commit: { ...context.commit, attempt: context.commit.attempt + 1 } } : {}),
    recordStale: assign((_, params: { epoch: number }) => ({ staleEpoch: params.epoch })),
    recordReason: assign((_, params: { reason: string }) => ({ reason: params.reason })),
    clearCommit: assign({ commit: undefined }),
    // Effects, given by the channel actor:
    reportCommitted: (_, _params: { id: number, kind: CommitKind, attempt: number } & SubmitCommitOutput) => {},
    reportCommitFailed: (_, _params: { id: number, kind: CommitKind, error: unknown }) => {},
    reportCommitRejected: (_, _params: { id: number, kind: CommitKind, epoch: number, attempt: number }) => {},
    reportEnded: (_, _params: { state: Ended }) => {}
  }
})

/** The channel ended: every commit still queued fails with the way it ended. */
function failQueued (state: Ended): ReturnType<typeof machineSetup.enqueueActions> {
  return machineSetup.enqueueActions(({ context, enqueue }) => {
    for (const c of context.queue) enqueue({ type: 'reportCommitFailed', params: { id: c.id, kind: c.request.kind, error: state } })
    enqueue.assign({ queue: [] })
  })
}

export const channelMachine = machineSetup.createMachine({
  id: 'channel',
  context: ({ input }) => ({
    name: input.name,
    self: input.self,
    epoch: 0,
    members: [],
    queue: [],
    staleEpoch: 0,
    maxAttempts: input.maxAttempts ?? 8,
    joining: input.joining === true,
    leaving: false
  }),
  initial: 'starting',
  on: {
    'commit.request': { actions: 'enqueueCommit' },
    // Drops a queued commit; one already taken from the queue is left to finish.
    'commit.withdraw': {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const queued = context.queue.find(c => c.id === event.id)
        if (queued == null) return
        enqueue.assign({ queue: context.queue.filter(c => c.id !== event.id) })
        enqueue({ type: 'reportCommitFailed', params: { id: queued.id, kind: queued.request.kind, error: 'withdrawn' } })
      })
    },
    'member.leaving': { actions: 'markLeaving' }
  },
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
      always: { guard: 'hasQueuedCommit', target: 'committing', actions: 'takeNextCommit' },
      on: {
        'epoch.changed': { actions: 'recordEpoch' },
        'member.removed': [{ guard: 'isLeaving', target: 'left' }, { target: 'removed' }],
        'channel.closed': 'closed',
        'channel.left': 'left'
      }
    },
    committing: {
      invoke: {
        src: 'submitCommit',
        input: ({ context }) => ({ id: current(context).id, request: context.commit?.request ?? { kind: 'update' }, attempt: current(context).attempt }),
        onDone: {
          target: 'active',
          actions: [
            { type: 'reportCommitted', params: ({ context, event }) => ({ ...current(context), ...event.output }) },
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
              { type: 'reportCommitRejected', params: ({ context, event }) => ({ ...current(context), epoch: (event.error as StaleCommit).epoch }) }
            ]
          },
          { target: 'active', actions: [{ type: 'reportCommitFailed', params: ({ context, event }) => ({ id: current(context).id, kind: current(context).kind, error: event.error }) }, 'clearCommit'] }
        ]
      },
      on: {
        'epoch.changed': { actions: 'recordEpoch' },
        'member.removed': [{ guard: 'isLeaving', target: 'left', actions: failCurrent('left') }, { target: 'removed', actions: failCurrent('removed') }],
        'channel.closed': { target: 'closed', actions: failCurrent('closed') },
        'channel.left': { target: 'left', actions: failCurrent('left') }
      }
    },
    catchingUp: {
      invoke: {
        src: 'catchUp',
        input: ({ context }) => ({ epoch: context.staleEpoch }),
        onDone: { target: 'committing', actions: 'countAttempt' },
        onError: { target: 'active', actions: [{ type: 'reportCommitFailed', params: ({ context, event }) => ({ id: current(context).id, kind: current(context).kind, error: event.error }) }, 'clearCommit'] }
      },
      on: {
        'epoch.changed': { actions: 'recordEpoch' },
        'member.removed': [{ guard: 'isLeaving', target: 'left', actions: failCurrent('left') }, { target: 'removed', actions: failCurrent('removed') }],
        'channel.closed': { target: 'closed', actions: failCurrent('closed') },
        'channel.left': { target: 'left', actions: failCurrent('left') }
      }
    },
    closed: { type: 'final', entry: [{ type: 'reportEnded', params: { state: 'closed' } }, failQueued('closed')] },
    left: { type: 'final', entry: [{ type: 'reportEnded', params: { state: 'left' } }, failQueued('left')] },
    removed: { type: 'final', entry: [{ type: 'reportEnded', params: { state: 'removed' } }, failQueued('removed')] }
  }
})
