/**
 * The sequencer of one multicast name, on the relay that owns it. It gives each message
 * the next sequence number and each accepted commit the next epoch. A commit
 * (`GroupProposal`, `GroupAdd`, `GroupRemove`) is accepted only if it was built on the
 * current epoch: the first for an epoch wins, later ones are rejected with the current
 * epoch so their senders catch up and retry (RFC 9420 §14: the delivery service orders
 * handshake messages).
 *
 * Pure: archiving, acking and publishing are the `appendToArchive`, `rejectStaleCommit`
 * and `rejectNotSequencer` actions, given real effects by the sequencer actor, which
 * reports `message.archived` when a write is durable. The effects read the submission
 * (envelope and origin) from the `message.submit` event they handle.
 *
 * `sequencer.stop` drains: nothing new is taken, and the sequencer stops once what it
 * numbered is durable. Whether the name's claim stands, and the handover of what it
 * numbered when a better claim wins, is the claim's machine
 * (src/machines/sequencer-claim.machine.ts), which stops the sequencer first.
 */
import { assign, setup } from 'xstate'
import { MessageType } from '../wire/envelope.pb.js'
import type { Envelope } from '../wire/envelope.pb.js'

export interface SequencerOrigin {
  /** The relay the sender is attached to. */
  relay: string
  /** The sender's agent name. */
  agent: string
}

export interface SequencerContext {
  name: string
  /** The last sequence number assigned. */
  head: number
  /** The channel's MLS epoch, as far as commits have moved it. */
  epoch: number
  /** Messages assigned but not yet durable. */
  inflight: number
}

export type SequencerEvent =
  | { type: 'message.submit', envelope: Envelope, origin: SequencerOrigin }
  | { type: 'message.archived', count: number }
  | { type: 'sequencer.stop' }

export interface SequencerInput { name: string, head: number, epoch: number }

const COMMITS = new Set<MessageType>([MessageType.GROUP_PROPOSAL, MessageType.GROUP_ADD, MessageType.GROUP_REMOVE])

export function isCommitType (type: MessageType): boolean {
  return COMMITS.has(type)
}

export const sequencerMachine = setup({
  types: {
    context: {} as SequencerContext,
    events: {} as SequencerEvent,
    input: {} as SequencerInput
  },
  guards: {
    isStaleCommit: ({ context, event }) =>
      event.type === 'message.submit' && isCommitType(event.envelope.type) && event.envelope.epoch !== context.epoch,
    isNothingInFlight: ({ context }) => context.inflight === 0
  },
  actions: {
    assignSequence: assign(({ context, event }) => {
      if (event.type !== 'message.submit') return {}
      const commit = isCommitType(event.envelope.type)
      return { head: context.head + 1, epoch: commit ? context.epoch + 1 : context.epoch, inflight: context.inflight + 1 }
    }),
    recordArchived: assign(({ context, event }) => event.type === 'message.archived'
      ? { inflight: Math.max(0, context.inflight - event.count) }
      : {}),
    // Effects, given by the sequencer actor:
    appendToArchive: (_, _params: { seq: number, epoch: number }) => {},
    rejectStaleCommit: (_, _params: { epoch: number }) => {},
    rejectNotSequencer: () => {}
  }
}).createMachine({
  id: 'sequencer',
  context: ({ input }) => ({ name: input.name, head: input.head, epoch: input.epoch, inflight: 0 }),
  initial: 'active',
  states: {
    active: {
      on: {
        'message.submit': [
          { guard: 'isStaleCommit', actions: { type: 'rejectStaleCommit', params: ({ context }) => ({ epoch: context.epoch }) } },
          {
            actions: [
              'assignSequence',
              { type: 'appendToArchive', params: ({ context }) => ({ seq: context.head, epoch: context.epoch }) }
            ]
          }
        ],
        'message.archived': { actions: 'recordArchived' },
        'sequencer.stop': 'draining'
      }
    },
    draining: {
      // Accept nothing new; wait until what was assigned is durable, then stop.
      always: { guard: 'isNothingInFlight', target: 'stopped' },
      on: {
        'message.submit': { actions: 'rejectNotSequencer' },
        'message.archived': { actions: 'recordArchived' }
      }
    },
    // Final: the actor refuses submissions itself once it is done.
    stopped: { type: 'final' }
  }
})
