/**
 * One relay-to-relay link, as seen from this relay.
 *
 * dialing: open our link stream to the peer (dialing its address if not connected).
 * connected: announcements and forwarded traffic flow; `healthy` probes the peer with a
 *   ping every interval; a failed probe makes it `degraded` (routes stay, but the link
 *   is suspect); consecutive failures past the limit drop it.
 * backoff: the link is down and its routes are withdrawn; redial after an exponential
 *   backoff if the peer has an address, or when the peer dials back (`link.inbound`).
 * closed: final, when this relay stops or the peer is removed.
 */
import { assign, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

export interface PeerLinkContext {
  peer: string
  attempt: number
  failures: number
  dialable: boolean
}

export interface PeerLinkInput { peer: string, dialable: boolean }

export type PeerLinkEvent =
  | { type: 'link.lost' }
  | { type: 'link.inbound' }
  | { type: 'link.close' }

export const peerLinkMachine = setup({
  types: {
    context: {} as PeerLinkContext,
    events: {} as PeerLinkEvent,
    input: {} as PeerLinkInput
  },
  delays: {
    PROBE_INTERVAL: 5_000,
    BACKOFF: ({ context }) => Math.min(200 * 2 ** Math.max(0, context.attempt - 1), 10_000)
  },
  actors: {
    openLink: fromPromise<void, { peer: string }>(async () => { throw new ActorNotProvidedError('openLink', 'peer link actor') }),
    probe: fromPromise<void, { peer: string }>(async () => { throw new ActorNotProvidedError('probe', 'peer link actor') })
  },
  guards: {
    isDialable: ({ context }) => context.dialable,
    isFailingTooOften: ({ context }) => context.failures >= 3
  },
  actions: {
    countAttempt: assign(({ context }) => ({ attempt: context.attempt + 1 })),
    countFailure: assign(({ context }) => ({ failures: context.failures + 1 })),
    resetCounters: assign({ attempt: 0, failures: 0 }),
    markDialable: assign({ dialable: true }),
    // Effects, given by the peer link actor:
    linkUp: () => {},
    linkDown: () => {},
    closeLink: () => {}
  }
}).createMachine({
  id: 'peerLink',
  context: ({ input }) => ({ peer: input.peer, attempt: 0, failures: 0, dialable: input.dialable }),
  initial: 'dialing',
  states: {
    dialing: {
      invoke: {
        src: 'openLink',
        input: ({ context }) => ({ peer: context.peer }),
        onDone: 'connected',
        onError: 'backoff'
      }
    },
    connected: {
      entry: ['resetCounters', 'linkUp'],
      exit: ['linkDown', 'closeLink'],
      initial: 'healthy',
      states: {
        healthy: {
          after: { PROBE_INTERVAL: 'probing' }
        },
        probing: {
          invoke: {
            src: 'probe',
            input: ({ context }) => ({ peer: context.peer }),
            onDone: { target: 'healthy', actions: 'resetCounters' },
            onError: { target: 'degraded', actions: 'countFailure' }
          }
        },
        degraded: {
          always: { guard: 'isFailingTooOften', target: '#peerLink.backoff' },
          after: { PROBE_INTERVAL: 'probing' }
        }
      },
      on: { 'link.lost': 'backoff' }
    },
    backoff: {
      entry: 'countAttempt',
      after: { BACKOFF: { guard: 'isDialable', target: 'dialing' } },
      on: { 'link.inbound': { target: 'dialing', actions: 'markDialable' } }
    },
    closed: { type: 'final' }
  },
  on: {
    'link.close': '.closed'
  }
})
