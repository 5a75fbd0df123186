/**
 * The libp2p nodes slim-mesh runs: a relay (the transports it is given, TCP by default
 * and WebSockets on request; Noise, Yamux, identify, ping, gossipsub) and an agent (TCP
 * and WebSockets, Noise, Yamux; it only dials its relay, over whichever its address names).
 */
import { createLibp2p } from 'libp2p'
import type { Libp2pOptions } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { webSockets } from '@libp2p/websockets'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import { createTopicScoreParams, validateTopicScoreParams } from '@libp2p/gossipsub/score'
import type { TopicScoreParams } from '@libp2p/gossipsub/score'
import { multiaddr } from '@multiformats/multiaddr'
import { WebSocket as NodeWebSocket } from 'ws'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Identify } from '@libp2p/identify'
import { AddressInUseError, InvalidInboundLimitsError, InvalidTransportsError, ListenError } from './errors.js'
import { PendingInboundLimiter } from './pending-inbound.js'

export type RelayLibp2p = Libp2p<{ pubsub: GossipSub, ping: Ping, identify: Identify }>

/**
 * Where a peer stands with this relay's gossipsub: an `admitted` relay (it showed a relay
 * credential of the mesh on its link), `pending` (connected, not decided yet) or
 * `refused` (refused, or silent for too long).
 */
export type GossipAdmission = 'admitted' | 'pending' | 'refused'

export interface RelayGossipInit {
  /** Whom gossipsub may mesh with, send to and hear from; none: everyone (open mode). */
  admission?: (peerId: string) => GossipAdmission
}

/**
 * Gossipsub's peer score thresholds (v1.1 spec, "Score Thresholds"), and the
 * application-specific score (P5) each admission gives. An admitted relay scores 0. A
 * pending peer scores below the gossip and publish thresholds, so it is never meshed
 * (GRAFT needs a score of 0 or more), never sent our publishes, gossip or IWANT
 * answers, but above the graylist: its subscriptions are still heard, so a relay
 * admitted a moment after it connected is known on its topics. A refused peer is
 * graylisted: every RPC of it is ignored.
 */
export const GOSSIP_THRESHOLDS = { gossipThreshold: -10, publishThreshold: -50, graylistThreshold: -80 } as const
const APP_SCORE: Record<GossipAdmission, number> = { admitted: 0, pending: -60, refused: -10_000 }

/**
 * The rest of the peer score (gossipsub v1.1 spec, "The Score Function"), for the relay
 * mesh. Every multicast topic (`/slim/mc/1/<name>`, one per name with subscribers here) is
 * scored with `RELAY_TOPIC_SCORE`; the thresholds are GOSSIP_THRESHOLDS above.
 *
 * | parameter | value | why |
 * | --- | --- | --- |
 * | topicWeight | 1 | every name's topic counts the same |
 * | P1 timeInMesh, P2 firstMessageDeliveries | weight 0 | no credit to earn: an admitted relay scores 0, and must not bank credit to spend on invalid batches |
 * | P3 meshMessageDeliveries, P3b meshFailurePenalty | weight 0 | a name's traffic is bursty and most names are quiet; a delivery-rate floor would prune honest relays of quiet names (the spec says P3 needs a known message rate) |
 * | P4 invalidMessageDeliveries | weight -10, decay 0.99 per second | a batch our topic validator rejects (it does not decode, its messages break the envelope rules, it names another name; a bad signature too) counts 1, and P4 is its count squared: one is -10 (out of the mesh, still heard), three are -90, below the graylist (-80): every RPC of that relay is ignored. The count halves in about 70 s, so a relay that stops is heard again within minutes, and meshed again once it is below 0.1 |
 * | P6 IP colocation | weight -1 past 16 relays on one IP; 127.0.0.1 and ::1 exempt | admission is by credential, so a Sybil needs credentials; this only backs that up against one host holding most of our peers. Loopback peers are on this machine (tests, single-machine meshes, where every peer is 127.0.0.1) and are never penalised; 17 relays behind one public address cost -1, 25 graylist |
 * | P7 behaviour penalty | weight -1 past 6, decay 0.9 per second | GRAFTs during a backoff and broken IWANT promises: a GRAFT that raced a relay's admission, or a few promises missed under load, are free; ten quickly are -16, fifteen graylist. Gossipsub's own default (-10 past 0, decay 0.2) graylists at the third |
 */
export const RELAY_TOPIC_SCORE: TopicScoreParams = createTopicScoreParams({
  topicWeight: 1,
  timeInMeshWeight: 0,
  firstMessageDeliveriesWeight: 0,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.99
})
validateTopicScoreParams(RELAY_TOPIC_SCORE)
export const GOSSIP_PEER_SCORE = {
  IPColocationFactorWeight: -1,
  IPColocationFactorThreshold: 16,
  /** Exact addresses, as gossipsub compares them. */
  IPColocationFactorWhitelist: ['127.0.0.1', '::1'],
  behaviourPenaltyWeight: -1,
  behaviourPenaltyThreshold: 6,
  behaviourPenaltyDecay: 0.9
} as const

/**
 * What a relay lets inbound connections hold before they are upgraded (src/p2p/pending-inbound.ts).
 * `maxPendingPerHost`: pending connections one remote IP may hold (past it, new ones are
 * closed at once), so a host that stalls hundreds of handshakes takes its share, not the
 * pool. `maxPending`: the pool, for all hosts (libp2p's `maxIncomingPendingConnections`).
 * `upgradeTimeoutMs`: a connection not upgraded by then is closed (libp2p's
 * `inboundUpgradeTimeout`, 10 s by default there); loopback upgrades take milliseconds,
 * and a far agent a few round trips.
 */
export interface InboundLimits {
  maxPendingPerHost: number
  maxPending: number
  upgradeTimeoutMs: number
}

export const DEFAULT_INBOUND_LIMITS: InboundLimits = { maxPendingPerHost: 32, maxPending: 256, upgradeTimeoutMs: 5_000 }

/** The transports a relay can listen and dial on. */
export const TRANSPORTS = ['tcp', 'websockets'] as const
export type TransportName = typeof TRANSPORTS[number]
export const DEFAULT_TRANSPORTS: readonly TransportName[] = ['tcp']

// @libp2p/websockets 10 dials with the global `WebSocket`, which Node has only from 22 on;
// on Node 20 its dials fail with "WebSocket is not defined". `ws` (what its listener
// already serves with) has the same browser-style interface. It is read at dial time,
// so setting it here, before any node exists, is early enough.
const g = globalThis as { WebSocket?: unknown }
if (typeof g.WebSocket === 'undefined') g.WebSocket = NodeWebSocket

type TransportFactory = NonNullable<Libp2pOptions['transports']>[number]

const TRANSPORT_FACTORIES: Record<TransportName, () => TransportFactory> = {
  tcp: () => tcp(),
  // No dial filter to open: @libp2p/websockets 10 dials ws:// and wss:// to any host in
  // Node (the `filters.all` of earlier versions is gone). What refuses ws:// and private
  // addresses such as 127.0.0.1 is libp2p's default connection gater in browsers only.
  websockets: () => webSockets()
}

/**
 * Which transport listens on an address: `/ws` is WebSockets, `/wss` (or `/tls/ws`)
 * secure WebSockets, a bare `/tcp/PORT` TCP; anything else is for libp2p to refuse.
 */
export function transportOf (addr: string): TransportName | 'wss' | undefined {
  const names = multiaddr(addr).getComponents().map(c => c.name).filter(n => n !== 'p2p')
  if (names.includes('wss') || (names.includes('tls') && names.includes('ws'))) return 'wss'
  if (names.includes('ws')) return 'websockets'
  return names[names.length - 1] === 'tcp' ? 'tcp' : undefined
}

/**
 * A relay's libp2p node with `transports` (default TCP), listening on `listen`. A listen
 * address that fails gives an `AddressInUseError` or a `ListenError` naming it, not
 * libp2p's advice about `transportManager.faultTolerance` with a stack trace per address;
 * so does one whose transport is not in `transports`, with the fix (enable it) named.
 */
export async function createRelayLibp2p (privateKey: PrivateKey, listen: string[], transports: readonly TransportName[] = DEFAULT_TRANSPORTS, gossip: RelayGossipInit = {}, net: { inbound?: Partial<InboundLimits>, announce?: string[] } = {}): Promise<RelayLibp2p> {
  const inbound = net.inbound ?? {}
  const enabled = checkTransports(transports)
  for (const addr of listen) checkListenTransport(addr, enabled)
  const limits = { ...DEFAULT_INBOUND_LIMITS, ...inbound }
  // Checked before anything is opened: a bad limit is the operator's mistake, said plainly.
  for (const k of ['maxPendingPerHost', 'maxPending', 'upgradeTimeoutMs'] as const) {
    if (!Number.isInteger(limits[k]) || limits[k] < 1) throw new InvalidInboundLimitsError(`the relay's inbound.${k} is ${String(limits[k])}; it must be a whole number, 1 or more (default ${DEFAULT_INBOUND_LIMITS[k]})`)
  }
  const limiter = new PendingInboundLimiter({ maxPerHost: limits.maxPendingPerHost })
  try {
    return await startRelayLibp2p(privateKey, listen, enabled, gossip, limits, limiter, net.announce ?? [])
  } catch (err) {
    throw listenError(err) ?? err
  }
}

function checkTransports (transports: readonly TransportName[]): TransportName[] {
  const known = TRANSPORTS.join(', ')
  if (!Array.isArray(transports) || transports.length === 0) throw new InvalidTransportsError(`the relay's transports name none; give one or more of ${known} (default tcp)`)
  const unknown = transports.find(t => !(TRANSPORTS as readonly string[]).includes(t))
  if (unknown != null) throw new InvalidTransportsError(`the relay's transports name ${JSON.stringify(unknown)}, which slim-mesh does not have; use ${known}`)
  return [...new Set(transports)]
}

function checkListenTransport (addr: string, enabled: TransportName[]): void {
  const needs = transportOf(addr)
  if (needs === 'wss') {
    throw new ListenError(addr, 'secure WebSockets (wss) needs a TLS certificate, which the relay does not take', { fix: 'listen on plain WebSockets (such as /ip4/127.0.0.1/tcp/7451/ws) behind a proxy that terminates TLS' })
  }
  if (needs != null && !enabled.includes(needs)) {
    const kind = needs === 'websockets' ? 'a WebSockets' : 'a TCP'
    throw new ListenError(addr, `it is ${kind} address and the relay's transports are ${enabled.join(', ')} only`, {
      fix: `add ${needs} to them (createRelay({ transports: [${[...enabled, needs].map(t => `'${t}'`).join(', ')}] }); for slim-mesh node, transports in the config file, SLIM_MESH_TRANSPORTS=${[...enabled, needs].join(',')} or --transport ${needs})`
    })
  }
}

/**
 * The first failed address in libp2p's `UnsupportedListenAddressesError`, whose only
 * record of them is its message: one `  <multiaddr>: <error's first line>` per address.
 */
export function listenError (err: unknown): Error | undefined {
  if ((err as Error | undefined)?.name !== 'UnsupportedListenAddressesError') return undefined
  const failed = /^\s+(\/\S+): (?:\w*Error: )?(.*)$/m.exec((err as Error).message)
  if (failed == null) return undefined
  const [, address = '', reason = ''] = failed
  if (reason.includes('EADDRINUSE')) return new AddressInUseError(address, { cause: err })
  if (reason.includes('EADDRNOTAVAIL')) return new ListenError(address, 'it is not an address of this machine', { cause: err })
  if (reason.includes('EACCES')) return new ListenError(address, 'permission denied (ports below 1024 need privileges)', { cause: err })
  return new ListenError(address, reason.replace(/\.$/, '').replace(/^./, c => c.toLowerCase()), { cause: err })
}

/** What of a GossipSub class this module reads beyond its interface (public fields and methods of the class). */
interface GossipSubScoring {
  score?: { params?: { topics?: Record<string, TopicScoreParams> }, scoreCache?: Map<string, unknown> }
  getScore?: (peerId: string) => number
  getMeshPeers?: (topic: string) => string[]
}
const scoring = (node: RelayLibp2p): GossipSubScoring => node.services.pubsub as unknown as GossipSubScoring

/**
 * Scores `topic` with RELAY_TOPIC_SCORE (`on`), or stops scoring it. Gossipsub takes its
 * topic parameters once, by exact topic, and a relay's topics come and go with its
 * subscribers, so they are added to the live parameters as the relay joins each topic,
 * and dropped as it leaves (an unscored topic keeps no counters; what a relay did on a
 * topic left is forgotten). test/p2p/gossip-scoring.test.ts fails if a version of
 * gossipsub moves these parameters.
 */
export function scoreRelayTopic (node: RelayLibp2p, topic: string, on: boolean): void {
  const topics = scoring(node).score?.params?.topics
  if (topics == null) return
  if (on) topics[topic] = RELAY_TOPIC_SCORE
  else delete topics[topic]
}

/** `peerId`'s gossipsub score at `node` (for tests and tools). */
export function gossipScoreOf (node: RelayLibp2p, peerId: string): number {
  return scoring(node).getScore?.(peerId) ?? 0
}

/** The peers in `node`'s gossipsub mesh for `topic`. */
export function gossipMeshOf (node: RelayLibp2p, topic: string): string[] {
  return scoring(node).getMeshPeers?.(topic) ?? []
}

/**
 * Makes gossipsub score `peerId` afresh at its next look: scores are cached for a
 * heartbeat, and a relay admitted (or refused) a moment ago must not wait for it. The
 * cache is a public field of the GossipSub class, not of its interface; if a version
 * drops it, scores are right within a heartbeat all the same.
 */
export function rescoreGossipPeer (node: RelayLibp2p, peerId: string): void {
  scoring(node).score?.scoreCache?.delete(peerId)
}

async function startRelayLibp2p (privateKey: PrivateKey, listen: string[], transports: TransportName[], gossip: RelayGossipInit, limits: InboundLimits, limiter: PendingInboundLimiter, announce: string[]): Promise<RelayLibp2p> {
  const admission = gossip.admission
  return await createLibp2p({
    privateKey,
    // With `announce`, identify tells peers only those addresses (not the listen ones).
    addresses: { listen, ...(announce.length > 0 ? { announce } : {}) },
    transports: transports.map(t => TRANSPORT_FACTORIES[t]()),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: 4096,
      // Agents behind one address (a NAT, or loopback in tests) connect in bursts; libp2p's
      // default of 5 new connections per second per host would refuse them.
      inboundConnectionThreshold: 500,
      maxIncomingPendingConnections: limits.maxPending,
      inboundUpgradeTimeout: limits.upgradeTimeoutMs
    },
    // One host's stalled handshakes hold at most its share of the pending pool.
    connectionGater: limiter.gater(),
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: gossipsub({
        // Sequenced batches are signed by the sequencer; receivers check the sender.
        globalSignaturePolicy: 'StrictSign',
        emitSelf: false,
        // A sequencer with no remote subscribers still publishes (to nobody).
        allowPublishToZeroTopicPeers: true,
        // Frames carry batches of up to a few MiB.
        maxInboundDataLength: 8 * 1024 * 1024,
        fallbackToFloodsub: false,
        heartbeatInterval: 500,
        // Only admitted relays are meshed, sent to and heard (see GOSSIP_THRESHOLDS).
        scoreParams: {
          appSpecificScore: (peerId: string) => admission == null ? 0 : APP_SCORE[admission(peerId)],
          appSpecificWeight: 1,
          // P6 and P7 (see GOSSIP_PEER_SCORE); topics are added as the relay joins them (scoreRelayTopic).
          ...GOSSIP_PEER_SCORE,
          IPColocationFactorWhitelist: new Set(GOSSIP_PEER_SCORE.IPColocationFactorWhitelist)
        },
        scoreThresholds: GOSSIP_THRESHOLDS,
        // A GRAFT that races a relay's admission is answered with a PRUNE; keep the
        // backoff it sets short (the spec's minute is against strangers, who are
        // graylisted here), and the flood cutoff within it.
        pruneBackoff: 5_000,
        graftFloodThreshold: 1_000
      })
    }
  })
}

/**
 * An agent's node: it listens nowhere and dials its relay over TCP or WebSockets, as the
 * relay's address says (`/tcp/PORT` or `/tcp/PORT/ws`); an unused transport costs nothing.
 */
export async function createAgentLibp2p (privateKey: PrivateKey): Promise<Libp2p> {
  return await createLibp2p({
    privateKey,
    addresses: { listen: [] },
    transports: [tcp(), webSockets()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // The agent dials only the relays it is told to, so nothing is refused: in a browser,
    // libp2p's default gater would refuse ws:// and private addresses (127.0.0.1, 10.x).
    connectionGater: { denyDialMultiaddr: async () => false }
  })
}
