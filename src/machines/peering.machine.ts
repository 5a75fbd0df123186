/**
 * One peering between this mesh and another, as this mesh's controller sees it (issue
 * 13; the agreement is src/federation/agreement.ts). Negotiation exchanges signed
 * proposals until both authorities signed the same one; then the peering is trusted and
 * its borders carry it, until either side suspends or revokes it or it expires.
 *
 *   proposed ──counter──> negotiating ──agreed──> trusted <──resume── suspended
 *      │  \                   │  ▲                 │  \──suspend──────────^  │
 *      │   \──agreed──> trusted  └──counter──┘      │                        │
 *      └─declined/timeout─> declined                └─revoke/expire─> revoked | expired
 *
 * proposed: a first proposal is out (ours, awaiting the peer: `awaitingPeer`) or in (the
 *   peer's, awaiting our operator: `awaitingUs`).
 * negotiating: a counter-proposal went one way or the other; the same two sub-states.
 *   Each step carries the proposal (a JWS signed by its proposer); a version lower than
 *   the one on the table is stale and ignored.
 * trusted: both signatures on one version (`peering.agreed`): `activate` tells the
 *   borders to open peering links and apply its filters; `deactivate` on the way out; a
 *   newer agreement while trusted (limits, borders changed) is `reconfigure`d in place.
 * suspended: traffic stopped, the agreement kept; either side may resume it.
 * revoked, expired, declined: final. Revoking is either side's, at any time; expiry is
 *   the agreement's own (`expires`); negotiation that goes quiet for NEGOTIATION_TIMEOUT
 *   ends declined, as does an explicit `peering.decline`.
 *
 * Pure: the effects (`sendProposal`, `activate`, `deactivate`, `reconfigure`, `notifyPeer`) are actions
 * given by the peering actor; the delays are named, for tests on a simulated clock.
 */
import { assign, setup } from 'xstate'
import type { GeneralJWS } from 'jose'

export type PeeringParty = 'us' | 'peer'

export interface PeeringInput {
  id: string
  /** The other mesh's id. */
  peer: string
  /** Who made the first proposal. */
  proposer: PeeringParty
  /** The first proposal (signed by its proposer). */
  proposal: GeneralJWS
  version?: number
  negotiationTimeoutMs?: number
}

export interface PeeringContext {
  id: string
  peer: string
  /** The proposal on the table, or the agreement in force (both signatures). */
  document: GeneralJWS
  version: number
  /** How long the agreement in force has left, ms (set on agreement, counted down by EXPIRY). */
  remainingMs?: number
  /** Who took the last step, and why the peering ended or was suspended. */
  by?: PeeringParty
  reason?: string
  negotiationTimeoutMs: number
}

export type PeeringEvent =
  /** A (counter-)proposal: `from` signed it; `version` is its version. */
  | { type: 'peering.proposal', from: PeeringParty, proposal: GeneralJWS, version: number }
  /** Both signatures on `version`: the agreement is in force for `validForMs` more (its `expires`, less now). */
  | { type: 'peering.agreed', agreement: GeneralJWS, version: number, validForMs: number }
  | { type: 'peering.decline', by: PeeringParty, reason: string }
  | { type: 'peering.suspend', by: PeeringParty, reason: string }
  | { type: 'peering.resume', by: PeeringParty }
  | { type: 'peering.revoke', by: PeeringParty, reason: string }

/** A negotiation that hears nothing for this long ends declined (a day: operators answer by hand). */
export const NEGOTIATION_TIMEOUT_MS = 24 * 3600_000
/** setTimeout's limit: a longer delay fires at once, so an expiry further away is waited for in steps. */
const MAX_DELAY_MS = 2_147_483_647

/** Whose turn it is, in `proposed` and `negotiating` alike: ours goes out and awaits the peer; theirs awaits us. */
const TURNS = {
  deciding: { always: [{ guard: 'proposedByUs', target: 'awaitingPeer', actions: 'sendProposal' }, { target: 'awaitingUs' }] },
  awaitingPeer: {},
  awaitingUs: {}
} as const

export const peeringMachine = setup({
  types: {
    context: {} as PeeringContext,
    events: {} as PeeringEvent,
    input: {} as PeeringInput
  },
  delays: {
    NEGOTIATION_TIMEOUT: ({ context }) => context.negotiationTimeoutMs,
    /** Until the agreement expires, in steps of at most setTimeout's limit. */
    EXPIRY: ({ context }) => Math.max(0, Math.min(MAX_DELAY_MS, context.remainingMs ?? 0))
  },
  guards: {
    isNewer: ({ context, event }) => (event.type === 'peering.proposal' || event.type === 'peering.agreed') && event.version >= context.version,
    /** The proposal on the table is ours (so it goes out, and we await the peer). */
    proposedByUs: ({ context }) => context.by === 'us',
    /** The EXPIRY step that just ran was the last one. */
    hasExpired: ({ context }) => (context.remainingMs ?? 0) <= MAX_DELAY_MS
  },
  actions: {
    takeProposal: assign(({ event }) => event.type === 'peering.proposal' ? { document: event.proposal, version: event.version, by: event.from } : {}),
    takeAgreement: assign(({ event }) => event.type === 'peering.agreed' ? { document: event.agreement, version: event.version, remainingMs: event.validForMs, reason: undefined } : {}),
    countDown: assign(({ context }) => ({ remainingMs: (context.remainingMs ?? 0) - MAX_DELAY_MS })),
    recordEnd: assign(({ event }) => 'by' in event ? { by: event.by, reason: 'reason' in event ? event.reason : undefined } : {}),
    recordExpiry: assign({ by: undefined, reason: 'the agreement expired' }),
    recordTimeout: assign({ by: undefined, reason: 'the negotiation timed out' }),
    // Effects, given by the peering actor:
    /** Send the proposal on the table to the peer (we made it). */
    sendProposal: () => {},
    /** Tell the borders to carry the peering (open links, apply the agreement's filters). */
    activate: () => {},
    /** Tell the borders to stop carrying it (close the peering links). */
    deactivate: () => {},
    /** Tell the borders of a newer agreement in force (its filters and limits). */
    reconfigure: () => {},
    /** Tell the peer of a step we took (decline, suspend, resume, revoke: the event's `by` is `us`). */
    notifyPeer: () => {}
  }
}).createMachine({
  id: 'peering',
  context: ({ input }) => ({
    id: input.id,
    peer: input.peer,
    document: input.proposal,
    version: input.version ?? 1,
    by: input.proposer,
    negotiationTimeoutMs: input.negotiationTimeoutMs ?? NEGOTIATION_TIMEOUT_MS
  }),
  initial: 'proposed',
  on: {
    'peering.revoke': { target: '.revoked', actions: ['recordEnd', { type: 'notifyPeer' }] }
  },
  states: {
    proposed: {
      initial: 'deciding',
      after: { NEGOTIATION_TIMEOUT: { target: 'declined', actions: 'recordTimeout' } },
      on: {
        'peering.proposal': { guard: 'isNewer', target: 'negotiating', actions: 'takeProposal' },
        'peering.agreed': { guard: 'isNewer', target: 'trusted', actions: 'takeAgreement' },
        'peering.decline': { target: 'declined', actions: ['recordEnd', 'notifyPeer'] }
      },
      states: TURNS
    },
    negotiating: {
      initial: 'deciding',
      // Each new proposal restarts the clock: the state is re-entered.
      after: { NEGOTIATION_TIMEOUT: { target: 'declined', actions: 'recordTimeout' } },
      on: {
        'peering.proposal': { guard: 'isNewer', target: 'negotiating', reenter: true, actions: 'takeProposal' },
        'peering.agreed': { guard: 'isNewer', target: 'trusted', actions: 'takeAgreement' },
        'peering.decline': { target: 'declined', actions: ['recordEnd', 'notifyPeer'] }
      },
      states: TURNS
    },
    trusted: {
      entry: 'activate',
      exit: 'deactivate',
      on: {
        'peering.suspend': { target: 'suspended', actions: ['recordEnd', 'notifyPeer'] },
        // A newer agreement (limits changed, a border added) replaces the one in force.
        'peering.agreed': { guard: 'isNewer', target: '.carrying', actions: ['takeAgreement', 'reconfigure'] }
      },
      initial: 'carrying',
      states: {
        carrying: {
          after: { EXPIRY: [{ guard: 'hasExpired', target: '#peering.expired', actions: 'recordExpiry' }, { target: 'carrying', reenter: true, actions: 'countDown' }] }
        }
      }
    },
    suspended: {
      on: {
        'peering.resume': { target: 'trusted', actions: [assign({ reason: undefined, by: ({ event }) => event.by }), 'notifyPeer'] }
      },
      initial: 'holding',
      states: {
        holding: {
          after: { EXPIRY: [{ guard: 'hasExpired', target: '#peering.expired', actions: 'recordExpiry' }, { target: 'holding', reenter: true, actions: 'countDown' }] }
        }
      }
    },
    declined: { type: 'final' },
    revoked: { type: 'final' },
    expired: { type: 'final' }
  }
})
