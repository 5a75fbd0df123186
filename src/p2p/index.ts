/**
 * libp2p: the nodes slim-mesh runs and the relay that puts them together.
 *
 * - ./relay-node.ts: `createRelay` (sessions, links, gossipsub, the store) around a `RelayCore`;
 * - ./libp2p-node.ts: the relay's and the agent's libp2p nodes (TCP, WebSockets, Noise, Yamux, gossipsub);
 * - ./frame-stream.ts: length-prefixed frames on a libp2p 3 message stream, bounded and batched;
 * - ./dial-error.ts: what a failed dial means, in one line;
 * - ./inspection-service.ts, ./inspect-client.ts: live inspection (`slim-mesh inspect`).
 *
 * ```ts
 * const relay = await createRelay({ listen: ['127.0.0.1:7450'], dataDir: './.relay' })
 * relay.peers(); await relay.dropLink(peerId); relay.configure({ config: { writeDeadlineMs: 2000 } })
 * ```
 */
export { createRelay } from './relay-node.js'
export type { Relay, RelayOptions, RelayPeer, TransitionEvent } from './relay-node.js'
export { inspectRelay } from './inspect-client.js'
export { AddressInUseError, ListenError, InvalidTransportsError } from './errors.js'
