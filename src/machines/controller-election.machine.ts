/**
 * One controller among several that share their state in etcd: only the leader of their
 * election runs the mesh (reconciliation, roster, desired state, alerts); the others
 * answer that they do not, and name the one that does.
 *
 * candidate: this controller campaigns (its campaign holds an etcd lease with a short
 *   TTL, kept alive while the process lives, so a killed leader's key expires and the
 *   next candidate wins); the campaign lives for the whole of `candidate`, follower and
 *   leader alike, and leaving `candidate` resigns it.
 *   follower: another controller leads (or none yet): requests are refused with the
 *     leader's URL, as last observed (`leader.observed`).
 *   leader: this controller won (`election.won`, with the fence its writes carry).
 *     starting: the controller's core is built afresh from the store (roster, intent,
 *       tokens, signed state, leases: nothing is kept from an earlier leadership);
 *       if that fails, it steps down.
 *     leading: the core runs and the API answers.
 * steppingDown: the campaign failed or was lost (the lease expired, its key deleted, etcd unreachable too
 *   long, a fenced write refused): the core, if one runs, is stopped before anything
 *   else; then `retrying`.
 * retrying: a jittered, growing backoff, then a new campaign: a controller never gives
 *   up on being a candidate.
 * stopping: the controller is stopping (`controller.stop`): its core is stopped and its
 *   campaign resigned, so another candidate takes over at once, without waiting for the
 *   lease to expire. stopped: final.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

/** The election key the leader holds and its create revision: its writes hold only while it is the same key. */
export interface ElectionFence { key: string, createRevision: string }

export interface ControllerElectionContext {
  /** The leader's URL as last observed (undefined: none known). */
  leader?: string
  /** While leading: what the leader's writes are fenced with. */
  fence?: ElectionFence
  /** Campaigns that failed in a row. */
  failures: number
  /** Why the last campaign ended. */
  reason?: string
}

export type ControllerElectionEvent =
  | { type: 'election.won', fence: ElectionFence }
  | { type: 'election.lost', reason: string }
  | { type: 'leader.observed', leader?: string }
  | { type: 'controller.stop' }

export const controllerElectionMachine = setup({
  types: {
    context: {} as ControllerElectionContext,
    events: {} as ControllerElectionEvent
  },
  delays: {
    /** Exponential, capped at 5 s; the actor adds jitter so candidates do not retry in step. */
    RETRY: ({ context }) => Math.min(250 * 2 ** Math.min(context.failures, 10), 5_000)
  },
  actors: {
    campaign: fromCallback<ControllerElectionEvent>(() => { throw new ActorNotProvidedError('campaign', 'controller election') }),
    observe: fromCallback<ControllerElectionEvent>(() => { throw new ActorNotProvidedError('observe', 'controller election') }),
    startLeadership: fromPromise<void, { fence: ElectionFence }>(async () => { throw new ActorNotProvidedError('startLeadership', 'controller') }),
    stopLeadership: fromPromise<void>(async () => { throw new ActorNotProvidedError('stopLeadership', 'controller') })
  },
  actions: {
    recordLeader: assign((_, params: { leader?: string }) => ({ leader: params.leader })),
    recordFence: assign((_, params: { fence: ElectionFence }) => ({ fence: params.fence })),
    forgetFence: assign({ fence: undefined }),
    recordLoss: assign(({ context }, params: { reason: string }) => ({ failures: context.failures + 1, reason: params.reason })),
    resetFailures: assign({ failures: 0 }),
    // Effects, given by the controller:
    becameLeader: () => {},
    steppedDown: () => {}
  }
}).createMachine({
  id: 'controllerElection',
  context: { failures: 0 },
  // Who leads is watched for as long as the controller runs.
  invoke: { src: 'observe' },
  initial: 'candidate',
  states: {
    candidate: {
      invoke: { src: 'campaign' },
      initial: 'follower',
      states: {
        follower: {
          on: {
            'election.won': { target: 'leader', actions: { type: 'recordFence', params: ({ event }) => event } }
          }
        },
        leader: {
          initial: 'starting',
          states: {
            starting: {
              invoke: {
                src: 'startLeadership',
                input: ({ context }) => ({ fence: context.fence as ElectionFence }),
                onDone: { target: 'leading', actions: ['resetFailures', 'becameLeader'] },
                onError: { target: '#controllerElection.steppingDown', actions: { type: 'recordLoss', params: ({ event }) => ({ reason: `the core did not start: ${(event.error as Error).message}` }) } }
              }
            },
            leading: {}
          }
        }
      },
      on: {
        'election.lost': { target: 'steppingDown', actions: { type: 'recordLoss', params: ({ event }) => event } }
      }
    },
    steppingDown: {
      invoke: {
        src: 'stopLeadership',
        onDone: { target: 'retrying', actions: ['forgetFence', 'steppedDown'] },
        onError: { target: 'retrying', actions: ['forgetFence', 'steppedDown'] }
      }
    },
    retrying: {
      after: { RETRY: 'candidate' }
    },
    stopping: {
      invoke: {
        src: 'stopLeadership',
        onDone: 'stopped',
        onError: 'stopped'
      },
      on: { 'controller.stop': {} }
    },
    stopped: { type: 'final' }
  },
  on: {
    'leader.observed': { actions: { type: 'recordLeader', params: ({ event }) => event } },
    'controller.stop': { target: '.stopping', actions: 'forgetFence' }
  }
})
