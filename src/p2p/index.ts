/**
 * libp2p: the nodes slim-mesh runs on and the streams between them. Knows nothing of
 * relays or agents (./node/relay-node.ts puts a relay together from these parts).
 *
 * - ./libp2p-node.ts: the relay's and the agent's libp2p nodes (TCP, WebSockets, Noise, Yamux, gossipsub);
 * - ./frame-stream.ts: length-prefixed frames on a libp2p 3 message stream, bounded and batched;
 * - ./dial-error.ts: what a failed dial means, in one line;
 * - ./inspection-service.ts, ./inspect-client.ts: live inspection (`slim-mesh inspect`).
 */
export { inspectRelay } from './inspect-client.js'
export { AddressInUseError, ListenError, InvalidTransportsError, InvalidInboundLimitsError } from './errors.js'
