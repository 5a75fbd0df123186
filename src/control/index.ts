/**
 * The control plane: a controller that runs a mesh (registration by join token, a
 * signed and versioned desired state, the topology manager, anomaly detection, the
 * operator API and dashboard), and the relay's end of it (the registration actor and
 * the state applier, used by `createRelay({ control })`).
 *
 * ```ts
 * const controller = await createController({ dataDir: './.ctl', topology: { kind: 'line' } })
 * const relay = await createRelay({ control: { url: controller.url, joinToken: (await controller.createJoinToken()).token } })
 * const ctl = await operatorClient(controller.url, controller.adminCredentials)
 * await ctl.request('PUT', '/v1/policy/rules/no-secrets', { names: 'acme/secret/**', deny: ['subscribe'] })
 * ```
 *
 * Several controllers of one mesh share their state in etcd and elect a leader:
 * `createController({ authority, etcd: { endpoints: ['http://127.0.0.1:2379'] } })` on each,
 * and relays given all their URLs (`control: { urls }`) go to whichever leads.
 */
export { createController, DEFAULT_CONTROLLER_LISTEN } from './controller.js'
export type { Controller, ControllerOptions, EtcdOptions } from './controller.js'
export { EtcdStore, openEtcdStore } from './etcd-store.js'
export type { EtcdStoreInit } from './etcd-store.js'
export type { ControllerTimings } from './controller-core.js'
export { operatorClient } from './operator-client.js'
export type { OperatorClient } from './operator-client.js'
export type { ControlOptions } from './control-client.js'
export type { DesiredState, NamePolicy, PolicyAction, RosterEntry, SignedState } from './desired-state.js'
export { verifyState } from './desired-state.js'
export type { MeshIntent, AlertAction } from './mesh-intent.js'
export { planLinks, components } from './topology.js'
export { AnomalyDetector } from './anomaly.js'
export type { Alert, LinkHealth, LinkPair, RelaySummary, RelayView, TopologySpec } from './types.js'
export { ControllerError, ControlRequestError, DesiredStateError, EtcdStoreError, NotLeaderError } from './errors.js'
