/**
 * A relay as the control client drives it (`ControlledRelay`): the public `Relay` plus
 * what only the relay's assembly can give (its actors' states, its trust anchors).
 */
import type { Relay } from './relay-node.js'
import type { ExternalIssuer } from '../trust/verifier.js'
import type { ControlledRelay } from '../control/apply-state.js'

export function controlledRelay (relay: Relay, extra: { actors: () => Array<{ actor: string, state: string }>, setExternalIssuers: (list: ExternalIssuer[]) => void }): ControlledRelay {
  return {
    peerId: relay.peerId,
    get multiaddrs () { return relay.multiaddrs },
    peers: () => relay.peers(),
    dial: (addr) => { relay.dial(addr) },
    dropLink: async (peer) => { await relay.dropLink(peer) },
    configure: (changes) => { relay.configure(changes) },
    revoke: async (jwt) => await relay.revoke(jwt),
    setExternalIssuers: extra.setExternalIssuers,
    summary: () => relay.summary(),
    routes: () => [...new Set(relay.agents().map(a => a.split('/').slice(0, 3).join('/')))].slice(0, 10_000),
    actors: extra.actors
  }
}
