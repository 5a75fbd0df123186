/**
 * The relay's data plane as plain logic, free of any transport: `RelayCore` is told what
 * arrived (an agent's envelope, a link frame, a multicast batch, a link going up or
 * down) and acts through `RelayIO` and each session's `AgentPort` (./types.ts). The real
 * engine (src/node/relay-node.ts) drives it with libp2p; the simulations drive the same
 * logic on simulated time.
 *
 * - ./forwarding-table.ts: routes learnt from flooded announcements, sequencer claims;
 * - ./route-exchange.ts: links, our own announcement, import and export per link;
 * - ./route-pieces.ts, ./route-assembly.ts: an announcement split under the wire's caps,
 *   and its pieces held until a version is complete;
 * - ./multicast-plane.ts: multicast at one relay, from its parts: ./sequencer-registry.ts (the sequencers
 *   this relay runs, one ./sequencer-claim.actor.ts per claimed name: settling, handover) and
 *   ./ordered-streams.ts (the ordered stream per subscribed name, one ./ordered-stream.actor.ts each);
 * - ./submissions-in-flight.ts: resends of submissions nobody answered;
 * - ./archive-fetch.ts: fetching archived messages from another relay;
 * - ./policy.ts, ./relay-gate.ts: the policy seam, asked in one place.
 *
 * ```ts
 * const core = new RelayCore({ peerId, store, io, clock: systemClock, policy: { allowSubscribe: () => true } })
 * await core.start()
 * core.attachAgent(name, port)
 * core.fromAgent(name, envelope)
 * ```
 */
export { RelayCore } from './relay-core.js'
export type { RelayCoreInit, AgentRecord } from './relay-core.js'
export type { RelayIO, AgentPort, RelayConfig } from './types.js'
export { DEFAULT_RELAY_CONFIG } from './types.js'
export type { RelayPolicy, PolicyVerdict, LinkKind } from './policy.js'
export { RelayGate } from './relay-gate.js'
export { ForwardingTable } from './forwarding-table.js'
export type { MulticastHost, LocalSub } from './multicast-host.js'
export { systemClock } from './clock.js'
export type { Clock } from './clock.js'
