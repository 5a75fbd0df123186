/**
 * One relay-to-relay link, as seen from this relay.
 *
 * dialing: open our link stream to the peer (dialing its address if not connected); the
 *   first frame on it is our hello (our relay credential).
 * admitting: our stream is open; wait for the peer's hello on the stream it opened to
 *   us to pass our trust anchors (`link.admitted`). Nothing of the link (routes,
 *   announcements, claims, fetches) is exchanged before. A refusal either way, our
 *   stream closing, or no hello within the admission timeout: backoff. With no trust
 *   (open mode) there is no admission and the link goes straight on to `connected`.
 * connected: announcements and forwarded traffic flow; `healthy` probes the peer with a
 *   ping every interval; a failed probe makes it `degraded` (routes stay, but the link
 *   is suspect); consecutive failures past the limit drop it. A credential found
 *   revoked or expired later (`link.refused`) drops it too.
 * backoff: the link is down and its routes are withdrawn; redial after an exponential
 *   backoff if the peer has an address, or when the peer dials back (`link.inbound`).
 * closed: final, when this relay stops or the peer is removed.
 *
 * Admission belongs to the peer's current stream: a new one (`link.inbound`) must show
 * its own hello.
 */
import { assign, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

export interface PeerLinkContext {
  peer: string
  attempt: number
  failures: number
  dialable: boolean
  /** Whether the link needs the peer's credential (false in open mode). */
  needsAdmission: boolean
  /** The peer's current stream to us has shown a credential that passed. */
  admitted: boolean
}

export interface PeerLinkInput { peer: string, dialable: boolean, needsAdmission?: boolean }

export type PeerLinkEvent =
  | { type: 'link.lost' }
  | { type: 'link.inbound' }
  | { type: 'link.admitted' }
  | { type: 'link.refused' }
  | { type: 'link.close' }

export const peerLinkMachine = setup({
  types: {
    context: {} as PeerLinkContext,
    events: {} as PeerLinkEvent,
    input: {} as PeerLinkInput
  },
  delays: {
    PROBE_INTERVAL: 5_000,
    ADMISSION_TIMEOUT: 10_000,
    BACKOFF: ({ context }) => Math.min(200 * 2 ** Math.max(0, context.attempt - 1), 10_000)
  },
  actors: {
    openLink: fromPromise<void, { peer: string }>(async () => { throw new ActorNotProvidedError('openLink', 'peer link actor') }),
    probe: fromPromise<void, { peer: string }>(async () => { throw new ActorNotProvidedError('probe', 'peer link actor') })
  },
  guards: {
    isDialable: ({ context }) => context.dialable,
    isFailingTooOften: ({ context }) => context.failures >= 3,
    isAdmitted: ({ context }) => !context.needsAdmission || context.admitted
  },
  actions: {
    countAttempt: assign(({ context }) => ({ attempt: context.attempt + 1 })),
    countFailure: assign(({ context }) => ({ failures: context.failures + 1 })),
    resetCounters: assign({ attempt: 0, failures: 0 }),
    markDialable: assign({ dialable: true }),
    markAdmitted: assign({ admitted: true }),
    clearAdmission: assign({ admitted: false }),
    // Effects, given by the peer link actor:
    linkUp: () => {},
    linkDown: () => {},
    closeLink: () => {},
    /** The link did not come up for want of admission (the event says how). */
    admissionFailed: (_, _params: { reason: 'refused' | 'lost' | 'timeout' }) => {}
  }
}).createMachine({
  id: 'peerLink',
  context: ({ input }) => ({ peer: input.peer, attempt: 0, failures: 0, dialable: input.dialable, needsAdmission: input.needsAdmission ?? false, admitted: false }),
  initial: 'dialing',
  states: {
    dialing: {
      invoke: {
        src: 'openLink',
        input: ({ context }) => ({ peer: context.peer }),
        onDone: 'admitting',
        onError: 'backoff'
      },
      on: {
        'link.refused': { target: 'backoff', actions: ['clearAdmission', 'closeLink', { type: 'admissionFailed', params: { reason: 'refused' } }] }
      }
    },
    admitting: {
      always: { guard: 'isAdmitted', target: 'connected' },
      after: { ADMISSION_TIMEOUT: { target: 'backoff', actions: ['closeLink', { type: 'admissionFailed', params: { reason: 'timeout' } }] } },
      on: {
        'link.admitted': { target: 'connected', actions: 'markAdmitted' },
        'link.refused': { target: 'backoff', actions: ['clearAdmission', 'closeLink', { type: 'admissionFailed', params: { reason: 'refused' } }] },
        'link.lost': { target: 'backoff', actions: ['closeLink', { type: 'admissionFailed', params: { reason: 'lost' } }] }
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
      on: {
        'link.lost': 'backoff',
        'link.refused': { target: 'backoff', actions: 'clearAdmission' }
      }
    },
    backoff: {
      entry: 'countAttempt',
      after: { BACKOFF: { guard: 'isDialable', target: 'dialing' } },
      on: { 'link.inbound': { target: 'dialing', actions: ['markDialable', 'clearAdmission'] } }
    },
    closed: { type: 'final' }
  },
  on: {
    'link.inbound': { actions: 'clearAdmission' },
    'link.admitted': { actions: 'markAdmitted' },
    'link.refused': { actions: 'clearAdmission' },
    'link.close': '.closed'
  }
})
