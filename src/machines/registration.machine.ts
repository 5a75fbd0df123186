/**
 * A relay's registration with its controller, and its life on the desired state after.
 *
 * starting: with a registration kept from an earlier run, the relay goes straight to
 *   `applying` its last applied state (the data plane never waits on the controller);
 *   without one it is `joining`.
 * joining: registers with its one-time join token and receives its relay credential and
 *   the desired state; a failure waits a jittered, growing backoff (`joinBackoff`) and
 *   tries again, forever: a relay never gives up on its controller.
 * restoring: applies the state kept (or just received) before asking the controller
 *   anything; applying checks the document's signature and applies it idempotently
 *   (links, policies, revocations, issuers, settings). Items that fail are reported.
 * online: one stream of notices of new generations (`state.changed`) is open while the
 *   controller answers; `inSync` heartbeats every interval with the generation, per-item
 *   status and a summary; `heartbeating` is one heartbeat (its answer names the current
 *   generation: a newer one is fetched); `fetching` and `applying` take a new document.
 * degraded: the controller is unreachable (a heartbeat failed, or the stream ended): the
 *   relay runs on its last applied state and tries again after a jittered backoff,
 *   forever.
 */
import { assign, fromCallback, fromPromise, setup } from 'xstate'
import { ActorNotProvidedError } from './errors.js'

export interface RegistrationContext {
  /** The generation applied last (0: none yet). */
  generation: number
  /** Failed attempts in a row (joining, or reaching the controller). */
  failures: number
  /** Kept from an earlier run: skip joining. */
  registered: boolean
}

export interface RegistrationInput { registered: boolean, generation?: number }

export type RegistrationEvent =
  | { type: 'state.changed', generation: number }
  | { type: 'controller.lost' }

export const registrationMachine = setup({
  types: {
    context: {} as RegistrationContext,
    events: {} as RegistrationEvent,
    input: {} as RegistrationInput
  },
  delays: {
    HEARTBEAT: 2_000,
    /** Exponential, capped at 5 s; the actor adds jitter so relays do not retry in step. */
    BACKOFF: ({ context }) => Math.min(250 * 2 ** Math.min(context.failures, 10), 5_000)
  },
  actors: {
    register: fromPromise<{ generation: number }>(async () => { throw new ActorNotProvidedError('register', 'control client') }),
    apply: fromPromise<{ generation: number }>(async () => { throw new ActorNotProvidedError('apply', 'control client') }),
    heartbeat: fromPromise<{ generation: number }>(async () => { throw new ActorNotProvidedError('heartbeat', 'control client') }),
    fetch: fromPromise<{ generation: number }>(async () => { throw new ActorNotProvidedError('fetch', 'control client') }),
    watch: fromCallback<RegistrationEvent>(() => { throw new ActorNotProvidedError('watch', 'control client') })
  },
  guards: {
    isRegistered: ({ context }) => context.registered,
    isBehind: ({ context }, params: { generation: number }) => params.generation > context.generation
  },
  actions: {
    countFailure: assign(({ context }) => ({ failures: context.failures + 1 })),
    resetFailures: assign({ failures: 0 }),
    markRegistered: assign({ registered: true }),
    recordGeneration: assign((_, params: { generation: number }) => ({ generation: params.generation })),
    // Effects, given by the control client:
    controllerLost: () => {},
    controllerBack: () => {}
  }
}).createMachine({
  id: 'registration',
  context: ({ input }) => ({ generation: input.generation ?? 0, failures: 0, registered: input.registered }),
  initial: 'starting',
  states: {
    starting: {
      always: [{ guard: 'isRegistered', target: 'restoring' }, { target: 'joining' }]
    },
    joining: {
      invoke: {
        src: 'register',
        onDone: { target: 'restoring', actions: ['markRegistered', 'resetFailures'] },
        onError: { target: 'joinBackoff', actions: 'countFailure' }
      }
    },
    joinBackoff: {
      after: { BACKOFF: 'joining' }
    },
    // The state kept (or just received) is applied before the controller is asked anything.
    restoring: {
      invoke: {
        src: 'apply',
        onDone: { target: 'online', actions: { type: 'recordGeneration', params: ({ event }) => event.output } },
        onError: 'online'
      }
    },
    // One notice stream for as long as the controller answers.
    online: {
      invoke: { src: 'watch' },
      initial: 'inSync',
      states: {
        inSync: {
          after: { HEARTBEAT: 'heartbeating' },
          on: {
            'state.changed': { guard: { type: 'isBehind', params: ({ event }) => event }, target: 'fetching' }
          }
        },
        heartbeating: {
          invoke: {
            src: 'heartbeat',
            onDone: [
              { guard: { type: 'isBehind', params: ({ event }) => event.output }, target: 'fetching', actions: ['resetFailures', 'controllerBack'] },
              { target: 'inSync', actions: ['resetFailures', 'controllerBack'] }
            ],
            onError: { target: '#registration.degraded', actions: ['countFailure', 'controllerLost'] }
          }
        },
        fetching: {
          invoke: {
            src: 'fetch',
            onDone: 'applying',
            onError: { target: '#registration.degraded', actions: ['countFailure', 'controllerLost'] }
          }
        },
        applying: {
          invoke: {
            src: 'apply',
            onDone: { target: 'inSync', actions: { type: 'recordGeneration', params: ({ event }) => event.output } },
            // A document that does not verify is not applied; the relay stays on what it runs.
            onError: 'inSync'
          }
        }
      },
      on: {
        'controller.lost': { target: 'degraded', actions: ['countFailure', 'controllerLost'] }
      }
    },
    // The controller does not answer: the relay runs on its last applied state and tries again, forever.
    degraded: {
      after: { BACKOFF: 'online.heartbeating' }
    }
  }
})
