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
 */
export { createController, DEFAULT_CONTROLLER_LISTEN } from './controller.js'
export type { Controller, ControllerOptions } from './controller.js'
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
export { ControllerError, ControlRequestError, DesiredStateError } from './errors.js'
