/**
 * One relay's claim to sequence one multicast name, from the claim to its end.
 *
 * A relay that sees a name for the first time with no sequencer known claims it
 * (`claim.made`, announced with the time of the claim); the earliest claim wins, then the
 * lower peer id (src/relay/forwarding-table.ts, `sequencerOf`), so every relay that knows
 * the same claims picks the same winner.
 *
 * - settling: a fresh claim holds its first submissions, unsequenced and unacknowledged,
 *   for `claimSettleMs`, so that a concurrent claim on another relay is heard first and
 *   two relays never both acknowledge messages of one name (docs/ARCHITECTURE.md).
 * - sequencing: submissions go to the name's sequencer (src/machines/sequencer.machine.ts:
 *   numbers, epochs, durable archive).
 * - restored: the claim came back from the store after a restart: it sequences at once,
 *   as before the restart, while the routes come back; a settle period later it is an
 *   ordinary sequencing claim.
 * - handingOver: a better claim was announced (`claim.lost`, its winner). What waited
 *   in settling goes to the winner; the sequencer stops once what it numbered is durable;
 *   what it numbered under the lost claim (only possible when the two claims could not
 *   see each other, as across a partition) is read back from the archive and submitted
 *   to the winner again, a page at a time, in order and with the same message ids (the
 *   winner de-duplicates), until the winner has answered every one; resent every
 *   `retryMs` while unanswered. Then the stale archive is dropped, so nothing acknowledged
 *   is lost and nothing is numbered twice.
 * - released: final, the claim is gone here. stopped: final, the relay stopped (the claim
 *   stays in the store and is restored on the next start).
 *
 * Pure: starting and stopping the sequencer, archive reads and drops, and sending are
 * effects given by src/relay/sequencer-claim.actor.ts.
 */
import { assign, fromPromise, setup } from 'xstate'
import type { Envelope } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import type { SequencerOrigin } from './sequencer.machine.js'

/** A message for the name's sequencer and where its answer goes. */
export interface Submission { envelope: Envelope, origin: SequencerOrigin }

/** A message this relay sequenced under a lost claim, to hand to the winner. */
export interface HandedOver {
  /** Its message id as a map key (the winner's answer carries the same id). */
  key: string
  envelope: Envelope
  /** False for a fire-and-forget message: nobody acknowledges it, so nothing waits for it. */
  answered: boolean
}

export interface SequencerClaimInput {
  name: string
  /** How long a fresh claim holds its first submissions. */
  settleMs: number
  /** How long a handed-over page waits for its answers before the rest is sent again. */
  retryMs: number
  /** Messages handed over per page (the next page waits until this one is answered). */
  pageSize?: number
}

export interface SequencerClaimContext {
  name: string
  settleMs: number
  retryMs: number
  pageSize: number
  /** When this relay claimed the name (0 until claimed). */
  since: number
  /** Submissions held while settling. */
  queue: Submission[]
  /** The relay whose claim won ('' while ours stands). */
  winner: string
  /** What this relay sequenced under the lost claim, read back from its archive. */
  stale: HandedOver[]
  /** Where the page being handed over starts in `stale`. */
  offset: number
  /** Keys of the page's messages the winner has not answered yet. */
  waiting: string[]
}

export type SequencerClaimEvent =
  | { type: 'claim.made', since: number }
  | { type: 'claim.restored', since: number }
  | { type: 'claim.lost', winner: string }
  | { type: 'message.submit', envelope: Envelope, origin: SequencerOrigin }
  /** The winner's answer to a handed-over message (`code` 0: sequenced there). */
  | { type: 'handover.answered', key: string, code: number }
  | { type: 'relay.stop' }

/**
 * Answers that decide nothing (the message did not reach a sequencer that took it): the
 * message stays waiting and is sent again. Any other answer, a sequence number or a
 * refusal such as a stale commit's, is final.
 */
const UNDECIDED = new Set<number>([ErrorCode.NO_ROUTE, ErrorCode.HOP_LIMIT, ErrorCode.UNAVAILABLE, ErrorCode.NOT_SEQUENCER])

const PAGE_SIZE = 256

function page (c: SequencerClaimContext): HandedOver[] {
  return c.stale.slice(c.offset, c.offset + c.pageSize)
}

export const sequencerClaimMachine = setup({
  types: {
    context: {} as SequencerClaimContext,
    events: {} as SequencerClaimEvent,
    input: {} as SequencerClaimInput
  },
  delays: {
    claimSettle: ({ context }) => context.settleMs,
    handoverRetry: ({ context }) => context.retryMs
  },
  actors: {
    // Effects, given by the claim actor; these defaults have nothing to hand over.
    /** Stops the name's sequencer once everything it numbered is durable. */
    stopSequencer: fromPromise<void, { name: string }>(async () => {}),
    /** Everything the archive holds for the name, in sequence order. */
    readArchive: fromPromise<HandedOver[], { name: string }>(async () => []),
    dropArchive: fromPromise<void, { name: string }>(async () => {})
  },
  guards: {
    isAnotherWinner: ({ context, event }) => event.type === 'claim.lost' && event.winner !== context.winner,
    isDecided: ({ event }) => event.type === 'handover.answered' && !UNDECIDED.has(event.code),
    isPageAnswered: ({ context }) => context.waiting.length === 0,
    isAllHandedOver: ({ context }) => context.offset >= context.stale.length
  },
  actions: {
    recordClaim: assign(({ event }) => event.type === 'claim.made' || event.type === 'claim.restored' ? { since: event.since } : {}),
    holdSubmission: assign(({ context, event }) => event.type === 'message.submit'
      ? { queue: [...context.queue, { envelope: event.envelope, origin: event.origin }] }
      : {}),
    clearQueue: assign({ queue: [] }),
    recordWinner: assign(({ event }) => event.type === 'claim.lost' ? { winner: event.winner } : {}),
    recordStale: assign((_, params: { stale: HandedOver[] }) => ({ stale: params.stale, offset: 0 })),
    openPage: assign(({ context }) => ({ waiting: page(context).filter(h => h.answered).map(h => h.key) })),
    recordAnswer: assign(({ context, event }) => event.type === 'handover.answered'
      ? { waiting: context.waiting.filter(k => k !== event.key) }
      : {}),
    advancePage: assign(({ context }) => ({ offset: context.offset + context.pageSize })),
    // Effects, given by the claim actor:
    /** To the name's sequencer on this relay. */
    sequence: (_, _params: { submissions: Submission[] }) => {},
    /** On to the winner, as submissions of their own senders. */
    forwardToWinner: (_, _params: { winner: string, submissions: Submission[] }) => {},
    /** To the winner again, as this relay's (the same message ids; the winner de-duplicates). */
    resubmitToWinner: (_, _params: { winner: string, messages: HandedOver[] }) => {}
  }
}).createMachine({
  id: 'sequencerClaim',
  context: ({ input }) => ({
    name: input.name,
    settleMs: input.settleMs,
    retryMs: input.retryMs,
    pageSize: input.pageSize ?? PAGE_SIZE,
    since: 0,
    queue: [],
    winner: '',
    stale: [],
    offset: 0,
    waiting: []
  }),
  initial: 'unclaimed',
  states: {
    unclaimed: {
      on: {
        'claim.made': { target: 'settling', actions: 'recordClaim' },
        'claim.restored': { target: 'restored', actions: 'recordClaim' }
      }
    },
    settling: {
      after: {
        claimSettle: {
          target: 'sequencing',
          actions: [{ type: 'sequence', params: ({ context }) => ({ submissions: context.queue }) }, 'clearQueue']
        }
      },
      on: {
        'message.submit': { actions: 'holdSubmission' },
        'claim.lost': {
          target: 'handingOver',
          actions: ['recordWinner', { type: 'forwardToWinner', params: ({ context }) => ({ winner: context.winner, submissions: context.queue }) }, 'clearQueue']
        },
        // As before a claim could be lost at stop: what waited is sequenced, then the sequencer stops.
        'relay.stop': { target: 'stopping', actions: [{ type: 'sequence', params: ({ context }) => ({ submissions: context.queue }) }, 'clearQueue'] }
      }
    },
    restored: {
      after: { claimSettle: 'sequencing' },
      on: {
        'message.submit': { actions: { type: 'sequence', params: ({ event }) => ({ submissions: [{ envelope: event.envelope, origin: event.origin }] }) } },
        'claim.lost': { target: 'handingOver', actions: 'recordWinner' },
        'relay.stop': 'stopping'
      }
    },
    sequencing: {
      on: {
        'message.submit': { actions: { type: 'sequence', params: ({ event }) => ({ submissions: [{ envelope: event.envelope, origin: event.origin }] }) } },
        'claim.lost': { target: 'handingOver', actions: 'recordWinner' },
        'relay.stop': 'stopping'
      }
    },
    handingOver: {
      initial: 'stoppingSequencer',
      on: {
        // Late submissions (sent before the loss was known) go on to the winner.
        'message.submit': { actions: { type: 'forwardToWinner', params: ({ context, event }) => ({ winner: context.winner, submissions: [{ envelope: event.envelope, origin: event.origin }] }) } },
        // The winner lost in turn: what is resent from now on goes to the new one.
        'claim.lost': { guard: 'isAnotherWinner', actions: 'recordWinner' },
        // The handover resumes after the restart: the lost claim is restored from the store.
        'relay.stop': 'stopped'
      },
      states: {
        stoppingSequencer: {
          invoke: {
            src: 'stopSequencer',
            input: ({ context }) => ({ name: context.name }),
            onDone: 'reading',
            // Stopping only waits for writes in flight; whatever is durable is read next.
            onError: 'reading'
          }
        },
        reading: {
          invoke: {
            src: 'readArchive',
            input: ({ context }) => ({ name: context.name }),
            onDone: { target: 'paging', actions: { type: 'recordStale', params: ({ event }) => ({ stale: event.output }) } },
            onError: 'readFailed'
          }
        },
        readFailed: {
          after: { handoverRetry: 'reading' }
        },
        paging: {
          always: [
            { guard: 'isAllHandedOver', target: 'droppingArchive' },
            { target: 'awaitingAnswers' }
          ]
        },
        awaitingAnswers: {
          entry: ['openPage', { type: 'resubmitToWinner', params: ({ context }) => ({ winner: context.winner, messages: page(context) }) }],
          always: { guard: 'isPageAnswered', target: 'paging', actions: 'advancePage' },
          on: {
            'handover.answered': { guard: 'isDecided', actions: 'recordAnswer' }
          },
          initial: 'waiting',
          states: {
            waiting: {
              after: {
                handoverRetry: {
                  target: 'waiting',
                  reenter: true,
                  actions: { type: 'resubmitToWinner', params: ({ context }) => ({ winner: context.winner, messages: page(context).filter(h => context.waiting.includes(h.key)) }) }
                }
              }
            }
          }
        },
        droppingArchive: {
          invoke: {
            src: 'dropArchive',
            input: ({ context }) => ({ name: context.name }),
            onDone: '#sequencerClaim.released',
            onError: 'dropFailed'
          }
        },
        dropFailed: {
          after: { handoverRetry: 'droppingArchive' }
        }
      }
    },
    stopping: {
      on: {
        // A submission that raced the stop: the stopping sequencer refuses it itself.
        'message.submit': { actions: { type: 'sequence', params: ({ event }) => ({ submissions: [{ envelope: event.envelope, origin: event.origin }] }) } }
      },
      invoke: {
        src: 'stopSequencer',
        input: ({ context }) => ({ name: context.name }),
        onDone: 'stopped',
        onError: 'stopped'
      }
    },
    released: { type: 'final' },
    stopped: { type: 'final' }
  }
})
