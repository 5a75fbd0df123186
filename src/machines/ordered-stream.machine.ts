/**
 * The ordered stream of one multicast name at a subscriber relay: its phases, not its
 * messages. Messages that arrive in order are delivered by the relay without an event
 * (../relay/ordered-stream.actor.ts); the machine hears only what changes the phase.
 *
 * loading: ask the sequencer for its head (or start this relay's own sequencer) and read
 *   the local archive. open: messages flow, in one of
 *   - live: in order, nothing pending;
 *   - flowing: traffic comes from gossip. A lost message is noticed when a later one
 *     arrives, but the last of a burst has no later one: so once the stream has gone
 *     quiet for `tailCheckMs` (`traffic.quiet`, from the relay's `watchTraffic`) the
 *     sequencer is asked for its head, and an answer that it is past the stream
 *     (`head.behind`) starts filling up to it. A stream in steady flow makes no
 *     request and the machine hears nothing;
 *   - gapWait: a message arrived past a missing one; `gapWaitMs` for the gap to fill
 *     itself (gossip reorders), else it is fetched;
 *   - filling: fetching from the sequencer's archive; a gap left (or a failed fetch) is
 *     tried again after `gapWaitMs`;
 *   - following: the claims changed and another relay sequences the name; ask it for its
 *     head and fill up to it.
 * released: final, nobody here subscribes any more. failed: final, loading failed.
 *
 * A stream sequenced by this relay itself gets its messages in order from the sequencer,
 * so it never waits on gaps or checks its tail.
 *
 * Pure: loading, following's head request and fills are the `loadStream`, `fetchHead`
 * and `fillRange` actors; the traffic watch, tail checks, opening, renumbering and
 * logging are actions; all are given real effects by the ordered stream actor, and
 * fakes by the tests. The one delay is `GAP_WAIT` (`gapWaitMs`).
 */
import { assign, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'


export interface OrderedStreamInput {
  name: string
  /** This relay's peer id: a stream it sequences itself has no gaps to fetch. */
  self: string
  /** How long a gap may wait to fill itself before it is fetched. */
  gapWaitMs: number
  /** How long a flowing stream stays quiet before its tail is checked. */
  tailCheckMs: number
}

export interface OrderedStreamContext extends OrderedStreamInput {
  /** The relay that sequences the name; empty while loading. */
  sequencer: string
  /** The highest sequence number the next fill is to reach (a fill goes on to the head it learns). */
  fillTo: number
}

/** What loading found. */
export interface StreamLoaded {
  sequencer: string
  /** The first sequence number the stream is to deliver. */
  next: number
  /** From here on the local archive has every message. */
  localFrom: number
  /** The sequencer's head (0 when this relay is the sequencer). */
  remoteHead: number
}

/** A sequencer's head, and where the stream stood when it came. */
export interface HeadSeen { head: number, next: number }

export interface FillDone {
  /** Messages past a missing one are still waiting. */
  gapRemains: boolean
}

/** What the effects are asked: which name, from which sequencer, up to where. */
export interface LoadRequest { name: string }
export interface HeadRequest { name: string, sequencer: string }
export interface FillRequest { name: string, sequencer: string, upTo: number }

export type OrderedStreamEvent =
  /** A message arrived past a missing one; `to` is the highest held. */
  | { type: 'gap.detected', to: number }
  /** The missing messages arrived by themselves. */
  | { type: 'gap.closed' }
  /** Messages came from gossip, in order, while the stream was live. */
  | { type: 'traffic.seen' }
  /** No messages came for `tailCheckMs` (from `watchTraffic`). */
  | { type: 'traffic.quiet' }
  /** A tail check found the sequencer's head past this stream. */
  | { type: 'head.behind', sequencer: string, head: number }
  | { type: 'sequencer.changed', sequencer: string }
  | { type: 'stream.release' }

function notProvided (what: string): never {
  throw new ActorNotProvidedError(what, 'ordered stream actor')
}

export const orderedStreamMachine = setup({
  types: {
    context: {} as OrderedStreamContext,
    events: {} as OrderedStreamEvent,
    input: {} as OrderedStreamInput
  },
  delays: {
    GAP_WAIT: ({ context }) => context.gapWaitMs
  },
  actors: {
    loadStream: fromPromise<StreamLoaded, LoadRequest>(async () => notProvided('loadStream')),
    fetchHead: fromPromise<HeadSeen, HeadRequest>(async () => notProvided('fetchHead')),
    fillRange: fromPromise<FillDone, FillRequest>(async () => notProvided('fillRange'))
  },
  guards: {
    isSequencedElsewhere: ({ context }) => context.sequencer !== context.self,
    isBehindAtLoad: (_, params: StreamLoaded) => params.remoteHead >= params.next,
    isBehind: (_, params: HeadSeen) => params.head >= params.next,
    /** The sequencer is behind this stream: its numbering restarted (a lost archive). */
    isAhead: (_, params: HeadSeen) => params.head + 1 < params.next,
    isGapLeft: (_, params: FillDone) => params.gapRemains,
    /** About the sequencer followed now, not one followed before. */
    isFromSequencer: ({ context, event }) => event.type === 'head.behind' && event.sequencer === context.sequencer,
    isSameSequencer: ({ context, event }) => event.type === 'sequencer.changed' && event.sequencer === context.sequencer,
    isToSelf: ({ context, event }) => event.type === 'sequencer.changed' && event.sequencer === context.self
  },
  actions: {
    assignLoaded: assign((_, params: StreamLoaded) => ({ sequencer: params.sequencer, fillTo: params.remoteHead })),
    assignFillTo: assign(({ context }, params: { to: number }) => ({ fillTo: Math.max(context.fillTo, params.to) })),
    assignSequencer: assign((_, params: { sequencer: string }) => ({ sequencer: params.sequencer, fillTo: 0 })),
    // Effects, given by the ordered stream actor:
    openStream: (_, _params: StreamLoaded) => {},
    openFailed: (_, _params: { error: unknown }) => {},
    /** Another relay sequences the name now (`from` this relay: its numbering is void). */
    adoptSequencer: (_, _params: { from: string, to: string }) => {},
    /**
     * Asks the sequencer for its head, answered with `head.behind` if the stream is behind
     * it. An action, not an invoked actor: it is the one request of a stream after each
     * burst and almost always finds nothing, and a child actor per check would cost more
     * than the check.
     */
    checkTail: (_, _params: { sequencer: string }) => {},
    /**
     * From entering `flowing` to leaving it, the relay watches the messages and says
     * `traffic.quiet` once none have come for `quietMs`. The relay's, not a delay of this
     * machine, because only the relay sees the messages: a delay here would have to be
     * restarted by an event per message, or wake the machine every `quietMs` of a steady
     * flow (measured: a fifth more CPU in the simulations). A pair of actions, not an
     * invoked actor, because a stream enters `flowing` again after every gap.
     */
    watchTraffic: (_, _params: { quietMs: number }) => {},
    unwatchTraffic: () => {},
    noteAhead: (_, _params: { sequencer: string, head: number, next: number }) => {},
    noteFailure: (_, _params: { what: string, error: unknown }) => {}
  }
}).createMachine({
  id: 'orderedStream',
  context: ({ input }) => ({ ...input, sequencer: '', fillTo: 0 }),
  initial: 'loading',
  states: {
    loading: {
      invoke: {
        src: 'loadStream',
        input: ({ context }) => ({ name: context.name }),
        onDone: [
          {
            guard: { type: 'isBehindAtLoad', params: ({ event }) => event.output },
            target: 'open.filling',
            actions: [
              { type: 'assignLoaded', params: ({ event }) => event.output },
              { type: 'openStream', params: ({ event }) => event.output }
            ]
          },
          {
            target: 'open.live',
            actions: [
              { type: 'assignLoaded', params: ({ event }) => event.output },
              { type: 'openStream', params: ({ event }) => event.output }
            ]
          }
        ],
        onError: { target: 'failed', actions: { type: 'openFailed', params: ({ event }) => ({ error: event.error }) } }
      }
    },
    open: {
      initial: 'live',
      states: {
        live: {
          on: {
            'traffic.seen': { guard: 'isSequencedElsewhere', target: 'flowing' },
            'gap.detected': { guard: 'isSequencedElsewhere', target: 'gapWait', actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.to }) } }
          }
        },
        flowing: {
          entry: { type: 'watchTraffic', params: ({ context }) => ({ quietMs: context.tailCheckMs }) },
          exit: 'unwatchTraffic',
          on: {
            'traffic.quiet': { target: 'live', actions: { type: 'checkTail', params: ({ context }) => ({ sequencer: context.sequencer }) } },
            'gap.detected': { target: 'gapWait', actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.to }) } }
          }
        },
        gapWait: {
          after: { GAP_WAIT: 'filling' },
          on: {
            'gap.detected': { actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.to }) } },
            'head.behind': { guard: 'isFromSequencer', actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.head }) } },
            'gap.closed': 'flowing'
          }
        },
        filling: {
          invoke: {
            src: 'fillRange',
            input: ({ context }) => ({ name: context.name, sequencer: context.sequencer, upTo: context.fillTo }),
            onDone: [
              { guard: { type: 'isGapLeft', params: ({ event }) => event.output }, target: 'gapWait' },
              // What the fill fetched was traffic too: its tail is checked like gossip's.
              { target: 'flowing' }
            ],
            onError: { target: 'gapWait', actions: { type: 'noteFailure', params: ({ event }) => ({ what: 'gap fill', error: event.error }) } }
          },
          on: {
            'gap.detected': { actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.to }) } },
            'head.behind': { guard: 'isFromSequencer', actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.head }) } }
          }
        },
        following: {
          invoke: {
            src: 'fetchHead',
            input: ({ context }) => ({ name: context.name, sequencer: context.sequencer }),
            onDone: [
              {
                guard: { type: 'isBehind', params: ({ event }) => event.output },
                target: 'filling',
                actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.output.head }) }
              },
              {
                guard: { type: 'isAhead', params: ({ event }) => event.output },
                target: 'live',
                actions: { type: 'noteAhead', params: ({ context, event }) => ({ sequencer: context.sequencer, ...event.output }) }
              },
              { target: 'live' }
            ],
            onError: { target: 'live', actions: { type: 'noteFailure', params: ({ context, event }) => ({ what: `following ${context.sequencer}`, error: event.error }) } }
          },
          on: { 'gap.detected': { target: 'gapWait', actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.to }) } } }
        }
      },
      on: {
        'head.behind': { guard: 'isFromSequencer', target: '.filling', actions: { type: 'assignFillTo', params: ({ event }) => ({ to: event.head }) } },
        'sequencer.changed': [
          { guard: 'isSameSequencer', actions: [] },
          {
            guard: 'isToSelf',
            target: '.live',
            reenter: true,
            actions: [
              { type: 'adoptSequencer', params: ({ context, event }) => ({ from: context.sequencer, to: event.sequencer }) },
              { type: 'assignSequencer', params: ({ event }) => ({ sequencer: event.sequencer }) }
            ]
          },
          {
            target: '.following',
            reenter: true,
            actions: [
              { type: 'adoptSequencer', params: ({ context, event }) => ({ from: context.sequencer, to: event.sequencer }) },
              { type: 'assignSequencer', params: ({ event }) => ({ sequencer: event.sequencer }) }
            ]
          }
        ]
      }
    },
    released: { type: 'final' },
    failed: { type: 'final' }
  },
  on: {
    'stream.release': '.released'
  }
})
