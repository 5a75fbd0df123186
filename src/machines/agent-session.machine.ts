/**
 * The agent's end of its session with a relay.
 *
 * connecting: dial the relay (the next in the list after a failure) and open a session
 *   stream. handshaking: prove the key behind the agent's name. active: traffic flows;
 *   entering it (again) resumes: subscriptions are renewed from the last sequence number
 *   seen and unacknowledged publishes are sent again. Every keepalive interval (a tick)
 *   the session looks whether anything came from the relay since the last tick: any
 *   frame counts, not only a pong, so a relay busy sending is never taken for dead.
 *   A tick that heard nothing sends a ping, and so does any tick after one that sent
 *   none (the relay hears the agent at least every two ticks, even while the agent only
 *   receives). Four ticks in a row that heard nothing mean the relay is hung (its
 *   process stopped, its host gone, sockets open): the connection is abandoned and the
 *   session moves to the next relay at once, since the same relay would not answer a
 *   redial either; with no other relay to go to it takes twelve (a relay merely busy is
 *   not worth renewing every subscription on). reconnecting: wait an exponential backoff, capped, then connect
 *   again (the same relay first after a closed stream: it may be restarting). closing:
 *   say goodbye to the relay. closed: final, with the error if it ended on one.
 *
 * A first connection that fails ends in `closed` with its error (the caller of
 * `connectAgent` hears about it at once); once established, failures reconnect.
 */
import { assign, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

export interface AgentSessionContext {
  relays: string[]
  relayIndex: number
  attempt: number
  established: boolean
  /** Something came from the relay since the last keepalive tick. */
  heard: boolean
  /** Ticks in a row that heard nothing from the relay. */
  silentTicks: number
  /** The last tick sent a ping. */
  pinged: boolean
  /** The relay was given up as hung: the next connect goes to the next relay. */
  hung: boolean
  error?: { name: string, message: string }
}

export interface AgentSessionInput { relays: string[] }

export type AgentSessionEvent =
  /** Something (any frame) came from the relay; told once per tick (see `watchTraffic`). */
  | { type: 'traffic.received' }
  | { type: 'stream.closed', error?: { name: string, message: string } }
  | { type: 'session.faulted', fatal: boolean, error: { name: string, message: string } }
  | { type: 'session.close' }

/** Keepalive ticks in a row that hear nothing from the relay before it is given up as hung, with another relay to go to. */
export const SILENT_TICKS_LIMIT = 4
/**
 * The same with no other relay to go to: redialling the one relay there is helps only if
 * its connection died silently, and a relay merely busy (a long garbage collection under
 * load) would get every subscription of the agent renewed at once, so it is given longer.
 */
export const SILENT_TICKS_LIMIT_ALONE = 12

/** How many silent ticks in a row give the relay up. */
export function silentTicksLimit (relays: readonly string[]): number { return relays.length > 1 ? SILENT_TICKS_LIMIT : SILENT_TICKS_LIMIT_ALONE }

/** Errors that no reconnect can fix. */
const FATAL = new Set(['AuthenticationError', 'InvalidNameError', 'ProtocolViolationError'])

function toError (err: unknown): { name: string, message: string } {
  return err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) }
}

export const agentSessionMachine = setup({
  types: {
    context: {} as AgentSessionContext,
    events: {} as AgentSessionEvent,
    input: {} as AgentSessionInput
  },
  delays: {
    KEEPALIVE_INTERVAL: 750,
    BACKOFF: ({ context }) => Math.min(100 * 2 ** Math.max(0, context.attempt - 1), 5_000)
  },
  actors: {
    connect: fromPromise<void, { relay: string }>(async () => { throw new ActorNotProvidedError('connect', 'agent session actor') }),
    handshake: fromPromise<void>(async () => { throw new ActorNotProvidedError('handshake', 'agent session actor') }),
    sendClose: fromPromise<void>(async () => {})
  },
  guards: {
    isEstablished: ({ context }) => context.established,
    isFatalError: ({ event }) => {
      const e = (event as { error?: unknown }).error
      return e instanceof Error ? FATAL.has(e.name) : FATAL.has((e as { name?: string } | undefined)?.name ?? '')
    },
    isFatalFault: ({ event }) => event.type === 'session.faulted' && event.fatal && FATAL.has(event.error.name),
    /** This tick heard nothing either, and it is the last one allowed. */
    isRelayHung: ({ context }) => !context.heard && context.silentTicks + 1 >= silentTicksLimit(context.relays),
    /** The relay was heard since the last tick, which sent a ping: nothing to ask now. */
    needsNoPing: ({ context }) => context.heard && context.pinged
  },
  actions: {
    recordError: assign(({ event }) => ({ error: toError((event as { error?: unknown }).error) })),
    recordFault: assign(({ event }) => event.type === 'session.faulted' ? { error: event.error } : {}),
    markEstablished: assign({ established: true, attempt: 0, heard: false, silentTicks: 0, pinged: false, error: undefined }),
    nextRelay: assign(({ context }) => ({
      attempt: context.attempt + 1,
      hung: false,
      relayIndex: context.attempt === 0 && !context.hung ? context.relayIndex : (context.relayIndex + 1) % context.relays.length
    })),
    recordHeard: assign({ heard: true }),
    /** A tick: what it heard, and whether it pings. */
    recordTick: assign(({ context }, params: { ping: boolean }) => ({
      silentTicks: context.heard ? 0 : context.silentTicks + 1,
      heard: false,
      pinged: params.ping
    })),
    recordHung: assign(({ context }) => ({
      hung: true,
      error: { name: 'TimeoutError', message: `nothing came from the relay in ${silentTicksLimit(context.relays)} keepalive intervals: it is taken as hung` }
    })),
    // Effects, given by the agent session actor:
    /** Tell `traffic.received` once, at the next frame from the relay. */
    watchTraffic: () => {},
    sendPing: () => {},
    /** Close the connection to the relay, not only the session stream (a hung one would be reused by a redial). */
    abandonConnection: () => {},
    resumeSession: () => {},
    dropConnection: () => {},
    notifyStatus: (_, _params: { type: string }) => {}
  }
}).createMachine({
  id: 'agentSession',
  context: ({ input }) => ({ relays: input.relays, relayIndex: 0, attempt: 0, established: false, heard: false, silentTicks: 0, pinged: false, hung: false }),
  initial: 'connecting',
  states: {
    connecting: {
      invoke: {
        src: 'connect',
        input: ({ context }) => ({ relay: context.relays[context.relayIndex] as string }),
        onDone: 'handshaking',
        onError: [
          { guard: 'isEstablished', target: 'reconnecting', actions: 'recordError' },
          { target: 'closed', actions: 'recordError' }
        ]
      }
    },
    handshaking: {
      invoke: {
        src: 'handshake',
        onDone: { target: 'active' },
        onError: [
          { guard: 'isFatalError', target: 'closed', actions: 'recordError' },
          { guard: 'isEstablished', target: 'reconnecting', actions: 'recordError' },
          { target: 'closed', actions: 'recordError' }
        ]
      }
    },
    active: {
      entry: [
        { type: 'notifyStatus', params: ({ context }) => ({ type: context.established ? 'session.reconnected' : 'session.connected' }) },
        'markEstablished',
        'watchTraffic',
        'resumeSession'
      ],
      initial: 'live',
      states: {
        live: {
          after: {
            KEEPALIVE_INTERVAL: [
              { guard: 'isRelayHung', target: '#agentSession.reconnecting', actions: ['recordHung', 'abandonConnection'] },
              { guard: 'needsNoPing', target: 'live', reenter: true, actions: [{ type: 'recordTick', params: { ping: false } }, 'watchTraffic'] },
              { target: 'live', reenter: true, actions: [{ type: 'recordTick', params: { ping: true } }, 'watchTraffic', 'sendPing'] }
            ]
          }
        }
      },
      on: {
        'traffic.received': { actions: 'recordHeard' },
        'stream.closed': 'reconnecting',
        'session.faulted': [
          { guard: 'isFatalFault', target: 'closed', actions: 'recordFault' },
          { target: 'reconnecting', actions: 'recordFault' }
        ],
        'session.close': 'closing'
      }
    },
    reconnecting: {
      entry: ['dropConnection', 'nextRelay', { type: 'notifyStatus', params: { type: 'session.reconnecting' } }],
      after: { BACKOFF: 'connecting' }
    },
    closing: {
      invoke: { src: 'sendClose', onDone: 'closed', onError: 'closed' }
    },
    closed: {
      type: 'final',
      entry: ['dropConnection', { type: 'notifyStatus', params: { type: 'session.closed' } }]
    }
  },
  on: {
    'session.close': '.closed'
  }
})
