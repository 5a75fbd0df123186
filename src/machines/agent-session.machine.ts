/**
 * The agent's end of its session with a relay.
 *
 * connecting: dial the relay (the next in the list after a failure) and open a session
 *   stream. handshaking: prove the key behind the agent's name. active: traffic flows;
 *   entering it (again) resumes: subscriptions are renewed from the last sequence number
 *   seen and unacknowledged publishes are sent again. A keepalive ping goes out every
 *   interval; three unanswered in a row count as a lost connection. reconnecting: wait
 *   an exponential backoff, capped, then connect again. closing: say goodbye to the
 *   relay. closed: final, with the error if it ended on one.
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
  missedPongs: number
  error?: { name: string, message: string }
}

export interface AgentSessionInput { relays: string[] }

export type AgentSessionEvent =
  | { type: 'pong.received' }
  | { type: 'stream.closed', error?: { name: string, message: string } }
  | { type: 'session.faulted', fatal: boolean, error: { name: string, message: string } }
  | { type: 'session.close' }

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
    KEEPALIVE_INTERVAL: 10_000,
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
    isUnanswered: ({ context }) => context.missedPongs >= 3
  },
  actions: {
    recordError: assign(({ event }) => ({ error: toError((event as { error?: unknown }).error) })),
    recordFault: assign(({ event }) => event.type === 'session.faulted' ? { error: event.error } : {}),
    markEstablished: assign({ established: true, attempt: 0, missedPongs: 0, error: undefined }),
    nextRelay: assign(({ context }) => ({
      attempt: context.attempt + 1,
      relayIndex: context.attempt === 0 ? context.relayIndex : (context.relayIndex + 1) % context.relays.length
    })),
    countPing: assign(({ context }) => ({ missedPongs: context.missedPongs + 1 })),
    clearPings: assign({ missedPongs: 0 }),
    // Effects, given by the agent session actor:
    sendPing: () => {},
    resumeSession: () => {},
    dropConnection: () => {},
    notifyStatus: (_, _params: { type: string }) => {}
  }
}).createMachine({
  id: 'agentSession',
  context: ({ input }) => ({ relays: input.relays, relayIndex: 0, attempt: 0, established: false, missedPongs: 0 }),
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
        'resumeSession'
      ],
      initial: 'live',
      states: {
        live: {
          after: {
            KEEPALIVE_INTERVAL: [
              { guard: 'isUnanswered', target: '#agentSession.reconnecting' },
              { target: 'live', reenter: true, actions: ['countPing', 'sendPing'] }
            ]
          }
        }
      },
      on: {
        'pong.received': { actions: 'clearPings' },
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
