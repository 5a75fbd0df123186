/**
 * One relay's part in one multicast name's sequencer lease, where a controller grants
 * leases (src/control/lease-book.ts).
 *
 * - candidate: the relay needs a sequencer for the name and asks the controller for the
 *   lease (`claimLease`); submissions wait meanwhile. A relay back from a restart that held
 *   the lease leads on under its last term at once (`restored`), and asks the controller
 *   in the background: its replicas fence it if the lease has moved. The controller's answer says who
 *   holds it: this relay (leader) or another (follower). No answer: asked again after a
 *   backoff, for as long as it takes (the name waits; nothing is numbered without a lease).
 * - leader: this relay numbers the name under its term. Each message is acknowledged
 *   once every replica of the lease holds it (src/relay/replicator.ts). A new replica set
 *   for the same term (a replica went down and was replaced) is taken as it comes.
 * - fenced: the lease moved on (the controller says so, a replica answered with a newer
 *   term, or the mesh announces a newer term): the relay stops numbering, acknowledges
 *   nothing more, and drops from its archive what it numbered but never got acknowledged
 *   (the new holder numbers from its own head; publishers send those messages again).
 * - follower: another relay holds the lease; submissions go there. If the controller
 *   gives this relay the lease (it was a replica of a holder that died), it leads.
 * - stopped: final, the relay stopped.
 *
 * Pure: the claim, starting the sequencer and fencing are effects given by
 * src/relay/sequencer-lease.actor.ts.
 */
import { assign, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

/** A multicast name's sequencer lease, as a controller grants it (src/relay/sequencer-leases.ts). */
export interface SequencerLease {
  name: string
  /** Grows with every hand-over; a relay with an older term can number nothing that counts. */
  term: number
  holder: string
  /** The relays, the holder excluded, that must hold a message before it is acknowledged. */
  replicas: string[]
  /**
   * Replicas added under this term that have not caught up yet (they lack part of what was
   * acknowledged): no lease moves to one of them. The holder says when one has caught up.
   */
  catchingUp?: string[]
  /** When the term was granted (ms since epoch, the controller's clock). */
  since: number
}

export interface SequencerLeaseContext {
  name: string
  self: string
  /** The lease as last known (term 0: none yet). */
  lease: SequencerLease
  /** Failed claims in a row, for the backoff. */
  attempts: number
}

export interface SequencerLeaseInput {
  name: string
  self: string
  /** The lease this relay held before a restart (from its store): it leads on under it at once. */
  restored?: SequencerLease
}

export type SequencerLeaseEvent =
  /** The controller told of a change to the lease. */
  | { type: 'lease.changed', lease: SequencerLease }
  /** A replica (or the mesh) knows a newer term than this relay's. */
  | { type: 'lease.superseded', term: number, by?: string }
  | { type: 'relay.stop' }

const EMPTY = (name: string): SequencerLease => ({ name, term: 0, holder: '', replicas: [], since: 0 })

export const sequencerLeaseMachine = setup({
  types: {
    context: {} as SequencerLeaseContext,
    events: {} as SequencerLeaseEvent,
    input: {} as SequencerLeaseInput
  },
  delays: {
    CLAIM_BACKOFF: ({ context }) => Math.min(100 * 2 ** Math.max(0, context.attempts - 1), 2_000)
  },
  actors: {
    claimLease: fromPromise<SequencerLease, { name: string }>(async () => { throw new ActorNotProvidedError('claimLease', 'sequencer lease actor') }),
    /** Stops the sequencer without acknowledging anything more, and drops what was never acknowledged. */
    fence: fromPromise<void, { name: string }>(async () => { throw new ActorNotProvidedError('fence', 'sequencer lease actor') })
  },
  guards: {
    isRestoredOurs: ({ context }) => context.lease.term > 0 && context.lease.holder === context.self,
    isOurs: ({ context, event }) => 'output' in event && (event.output as SequencerLease).holder === context.self,
    givesUsTheLease: ({ context, event }) => event.type === 'lease.changed' && event.lease.holder === context.self && event.lease.term >= context.lease.term,
    isNewerElsewhere: ({ context, event }) =>
      (event.type === 'lease.changed' && event.lease.term >= context.lease.term && event.lease.holder !== context.self) ||
      (event.type === 'lease.superseded' && event.term > context.lease.term),
    isNewer: ({ context, event }) => event.type === 'lease.changed' && event.lease.term >= context.lease.term
  },
  actions: {
    takeClaimed: assign(({ event }) => ({ lease: (event as unknown as { output: SequencerLease }).output, attempts: 0 })),
    takeLease: assign(({ context, event }) => event.type === 'lease.changed' ? { lease: event.lease } : { lease: context.lease }),
    countAttempt: assign(({ context }) => ({ attempts: context.attempts + 1 })),
    // Effects, given by the lease actor.
    startLeading: () => {},
    replicasChanged: () => {},
    follow: () => {},
    claimFailed: (_, _params: { error: unknown }) => {}
  }
}).createMachine({
  id: 'sequencerLease',
  context: ({ input }) => ({ name: input.name, self: input.self, lease: input.restored ?? EMPTY(input.name), attempts: 0 }),
  initial: 'candidate',
  states: {
    candidate: {
      // Restored: it leads on under its last term, without waiting for the controller (the data
      // plane never does); should the lease have moved meanwhile, its replicas refuse the old
      // term and the controller's answer fences it.
      always: { guard: 'isRestoredOurs', target: 'leader' },
      initial: 'claiming',
      states: {
        claiming: {
          invoke: {
            src: 'claimLease',
            input: ({ context }) => ({ name: context.name }),
            onDone: [
              { guard: 'isOurs', target: '#sequencerLease.leader', actions: 'takeClaimed' },
              { target: '#sequencerLease.follower', actions: 'takeClaimed' }
            ],
            onError: { target: 'waiting', actions: ['countAttempt', { type: 'claimFailed', params: ({ event }) => ({ error: event.error }) }] }
          }
        },
        waiting: { after: { CLAIM_BACKOFF: 'claiming' } }
      },
      on: {
        'lease.changed': [
          { guard: 'givesUsTheLease', target: 'leader', actions: 'takeLease' },
          { guard: 'isNewer', target: 'follower', actions: 'takeLease' }
        ]
      }
    },
    leader: {
      entry: 'startLeading',
      on: {
        'lease.changed': [
          { guard: 'isNewerElsewhere', target: 'fenced', actions: 'takeLease' },
          { guard: 'givesUsTheLease', actions: ['takeLease', 'replicasChanged'] }
        ],
        'lease.superseded': { guard: 'isNewerElsewhere', target: 'fenced' }
      }
    },
    fenced: {
      invoke: {
        src: 'fence',
        input: ({ context }) => ({ name: context.name }),
        onDone: 'follower',
        onError: 'follower'
      }
    },
    follower: {
      entry: 'follow',
      on: {
        'lease.changed': [
          { guard: 'givesUsTheLease', target: 'leader', actions: 'takeLease' },
          { guard: 'isNewer', target: 'follower', reenter: true, actions: 'takeLease' }
        ]
      }
    },
    stopped: { type: 'final' }
  },
  on: {
    'relay.stop': '.stopped'
  }
})
