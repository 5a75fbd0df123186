/**
 * One relay as its controller sees it.
 *
 * registered: it joined (its join token was taken), or the controller restarted and
 *   knows it from its store, and it has not heartbeated yet. A relay known from the store
 *   gets longer (`FIRST_HEARTBEAT`): it has to notice that the controller is back, after
 *   its backoff, before it heartbeats again.
 * inSync: it heartbeats and runs the current generation.
 * behind: it heartbeats but runs an older generation (or reports items not applied);
 *   the controller notices it again at each reconciliation.
 * down: no heartbeat within the down-after interval: the topology manager re-plans
 *   without it, and a `relay-silent` alert is raised. A heartbeat brings it back.
 * removed: the operator removed it from the roster (final).
 *
 * Every heartbeat restarts the down-after timer.
 */
import { assign, setup } from 'xstate'

export interface RelayMembershipContext {
  peerId: string
  /** The generation it reported last. */
  reported: number
  /** The generation the controller wants now. */
  desired: number
  /** Items it reported as not applied in its last heartbeat. */
  unapplied: number
  /** Known from the controller's store (the controller restarted), not just joined. */
  restored: boolean
}

export interface RelayMembershipInput { peerId: string, desired: number, reported?: number, restored?: boolean }

export type RelayMembershipEvent =
  | { type: 'heartbeat.received', generation: number, unapplied: number }
  | { type: 'state.published', generation: number }
  | { type: 'relay.remove' }

export const relayMembershipMachine = setup({
  types: {
    context: {} as RelayMembershipContext,
    events: {} as RelayMembershipEvent,
    input: {} as RelayMembershipInput
  },
  delays: {
    DOWN_AFTER: 6_000,
    FIRST_HEARTBEAT: ({ context }) => context.restored ? 16_000 : 6_000
  },
  guards: {
    isCurrent: ({ context }) => context.reported >= context.desired && context.unapplied === 0
  },
  actions: {
    recordHeartbeat: assign((_, params: { generation: number, unapplied: number }) => ({ reported: params.generation, unapplied: params.unapplied })),
    recordDesired: assign((_, params: { generation: number }) => ({ desired: params.generation })),
    // Effects, given by the controller:
    relayDown: () => {},
    relayUp: () => {}
  }
}).createMachine({
  id: 'relayMembership',
  context: ({ input }) => ({ peerId: input.peerId, reported: input.reported ?? 0, desired: input.desired, unapplied: 0, restored: input.restored ?? false }),
  initial: 'registered',
  states: {
    registered: {
      after: { FIRST_HEARTBEAT: 'down' }
    },
    live: {
      initial: 'checking',
      after: { DOWN_AFTER: 'down' },
      states: {
        checking: { always: [{ guard: 'isCurrent', target: 'inSync' }, { target: 'behind' }] },
        inSync: {},
        behind: {}
      },
      on: {
        'state.published': { target: '.checking', actions: { type: 'recordDesired', params: ({ event }) => event } }
      }
    },
    down: {
      entry: 'relayDown',
      exit: 'relayUp'
    },
    removed: { type: 'final' }
  },
  on: {
    'heartbeat.received': { target: '.live', reenter: true, actions: { type: 'recordHeartbeat', params: ({ event }) => event } },
    'state.published': { actions: { type: 'recordDesired', params: ({ event }) => event } },
    'relay.remove': '.removed'
  }
})
