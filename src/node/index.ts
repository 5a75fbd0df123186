/**
 * A relay node: `createRelay` puts a `RelayCore` (../relay) together with a libp2p node
 * (../p2p), the session and link actors (../actors), gossipsub and the store.
 *
 * ```ts
 * const relay = await createRelay({ listen: ['127.0.0.1:7450'], dataDir: './.relay' })
 * relay.peers(); await relay.dropLink(peerId); relay.configure({ config: { writeDeadlineMs: 2000 } })
 * ```
 */
export { createRelay } from './relay-node.js'
export type { Relay, RelayOptions, RelayPeer, TransitionEvent } from './relay-node.js'
