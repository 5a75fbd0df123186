/**
 * A relay as the control client drives it (`ControlledRelay`): the public `Relay` plus
 * what only the relay's assembly can give (its actors' states, its trust anchors).
 */
import type { Relay } from './relay-node.js'
import type { RelayCore } from '../relay/relay-core.js'
import type { ExternalIssuer } from '../trust/verifier.js'
import type { ControlledRelay } from '../control/apply-state.js'
import type { RelaySummary } from '../control/types.js'

export function controlledRelay (relay: Relay, core: RelayCore, extra: { actors: () => Array<{ actor: string, state: string }>, setExternalIssuers: (list: ExternalIssuer[]) => void }): ControlledRelay {
  const startedAt = Date.now()
  return {
    peerId: relay.peerId,
    get multiaddrs () { return relay.multiaddrs },
    peers: () => relay.peers(),
    dial: (addr) => { relay.dial(addr) },
    dropLink: async (peer) => { await relay.dropLink(peer) },
    configure: (changes) => { relay.configure(changes) },
    revoke: async (jwt) => await relay.revoke(jwt),
    setExternalIssuers: extra.setExternalIssuers,
    summary: (): RelaySummary => {
      const own = (relay as Relay & { summary?: () => RelaySummary }).summary
      if (own != null) return own()
      return {
        at: Date.now(),
        startedAt,
        sessions: relay.agents().length,
        messagesIn: { anycast: 0, multicast: 0, unicast: 0 },
        messagesOut: { anycast: 0, multicast: 0, unicast: 0 },
        deliveries: 0,
        acks: 0,
        denials: Object.fromEntries(core.gate.denials),
        authFailures: 0,
        publishesByAgent: {},
        sequencers: [],
        eventLoopDelayMs: 0,
        queuedBytes: 0,
        slowConsumersCut: 0,
        links: relay.peers().map(p => ({ peer: p.peerId, up: p.linked, flaps: 0 }))
      }
    },
    routes: () => [...new Set(relay.agents().map(a => a.split('/').slice(0, 3).join('/')))].slice(0, 10_000),
    actors: extra.actors
  }
}
