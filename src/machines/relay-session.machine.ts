/**
 * The relay's end of one agent session.
 *
 * handshaking: the agent says who it is (`Hello`), the relay sends a fresh nonce, the
 *   agent signs it with the key behind its name (`Auth`); a session that does not finish
 *   within the handshake timeout is cut.
 * authenticating: the signature and the name's instance id are checked against the key.
 * active: the agent is attached: its subscriptions are routed to it. `live` restarts its
 *   silence timer on every keepalive ping; silence past the timeout counts as a drop.
 * draining: the stream is gone but the agent may be back soon: its subscriptions and
 *   store-and-forward buffer are held for the grace period, and a new session that
 *   proves the same name takes them over (`session.replaced`).
 * closed: released. A clean close or the grace running out detaches the agent (its
 *   routes are withdrawn); a protocol breaker is told why and cut off at once.
 */
import { assign, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

export interface RelaySessionContext {
  name?: string
  reason?: string
}

export type RelaySessionEvent =
  | { type: 'hello.received', name: string }
  | { type: 'auth.received' }
  | { type: 'ping.received' }
  | { type: 'frame.invalid', code: number, reason: string }
  | { type: 'stream.closed' }
  | { type: 'close.received' }
  | { type: 'session.replaced' }
  | { type: 'relay.stopping' }

export const relaySessionMachine = setup({
  types: {
    context: {} as RelaySessionContext,
    events: {} as RelaySessionEvent
  },
  delays: {
    HANDSHAKE_TIMEOUT: 10_000,
    SILENCE_TIMEOUT: 30_000,
    GRACE_PERIOD: 30_000
  },
  actors: {
    // Given by the actor: checks the signature over the nonce and the name's instance id.
    verifyAuth: fromPromise<{ name: string }>(async () => { throw new ActorNotProvidedError('verifyAuth', 'relay session actor') })
  },
  guards: {
    hasHello: ({ context }) => context.name != null
  },
  actions: {
    recordHello: assign(({ event }) => event.type === 'hello.received' ? { name: event.name } : {}),
    recordReason: assign((_, params: { reason: string }) => ({ reason: params.reason })),
    // Effects, given by the relay session actor:
    sendChallenge: () => {},
    attachAgent: () => {},
    markAway: () => {},
    detachAgent: () => {},
    faultAndCut: (_, _params: { code: number, reason: string }) => {},
    releaseStream: () => {}
  }
}).createMachine({
  id: 'relaySession',
  context: {},
  initial: 'handshaking',
  states: {
    handshaking: {
      after: {
        HANDSHAKE_TIMEOUT: {
          target: 'closed',
          actions: [
            { type: 'faultAndCut', params: { code: 10, reason: 'handshake not finished in time' } },
            { type: 'recordReason', params: { reason: 'handshake timeout' } }
          ]
        }
      },
      on: {
        'hello.received': { actions: ['recordHello', 'sendChallenge'] },
        'auth.received': [
          { guard: 'hasHello', target: 'authenticating' },
          {
            target: 'closed',
            actions: { type: 'faultAndCut', params: { code: 7, reason: 'Auth before Hello' } }
          }
        ]
      }
    },
    authenticating: {
      after: {
        HANDSHAKE_TIMEOUT: {
          target: 'closed',
          actions: { type: 'faultAndCut', params: { code: 10, reason: 'authentication not finished in time' } }
        }
      },
      invoke: {
        src: 'verifyAuth',
        onDone: { target: 'active' },
        onError: {
          target: 'closed',
          actions: [
            { type: 'faultAndCut', params: ({ event }) => ({ code: 6, reason: (event.error as Error).message }) },
            { type: 'recordReason', params: ({ event }) => ({ reason: (event.error as Error).message }) }
          ]
        }
      }
    },
    active: {
      entry: 'attachAgent',
      initial: 'live',
      states: {
        live: {
          after: { SILENCE_TIMEOUT: { target: '#relaySession.draining' } },
          on: { 'ping.received': { target: 'live', reenter: true } }
        }
      },
      on: {
        'close.received': { target: 'closed', actions: 'detachAgent' },
        'stream.closed': 'draining',
        'session.replaced': 'closed',
        'relay.stopping': { target: 'closed', actions: 'detachAgent' }
      }
    },
    draining: {
      entry: 'markAway',
      after: { GRACE_PERIOD: { target: 'closed', actions: 'detachAgent' } },
      on: {
        'session.replaced': 'closed',
        'relay.stopping': { target: 'closed', actions: 'detachAgent' }
      }
    },
    closed: {
      type: 'final',
      entry: 'releaseStream'
    }
  },
  on: {
    'frame.invalid': {
      target: '.closed',
      actions: [
        { type: 'faultAndCut', params: ({ event }) => ({ code: event.code, reason: event.reason }) },
        { type: 'recordReason', params: ({ event }) => ({ reason: event.reason }) },
        'detachAgent'
      ]
    },
    'stream.closed': { target: '.closed' }
  }
})
