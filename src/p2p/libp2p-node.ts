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
import { multiaddr } from '@multiformats/multiaddr'
import { WebSocket as NodeWebSocket } from 'ws'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Identify } from '@libp2p/identify'
import { AddressInUseError, InvalidTransportsError, ListenError } from './errors.js'

export type RelayLibp2p = Libp2p<{ pubsub: GossipSub, ping: Ping, identify: Identify }>

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
export async function createRelayLibp2p (privateKey: PrivateKey, listen: string[], transports: readonly TransportName[] = DEFAULT_TRANSPORTS): Promise<RelayLibp2p> {
  const enabled = checkTransports(transports)
  for (const addr of listen) checkListenTransport(addr, enabled)
  try {
    return await startRelayLibp2p(privateKey, listen, enabled)
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

async function startRelayLibp2p (privateKey: PrivateKey, listen: string[], transports: TransportName[]): Promise<RelayLibp2p> {
  return await createLibp2p({
    privateKey,
    addresses: { listen },
    transports: transports.map(t => TRANSPORT_FACTORIES[t]()),
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      maxConnections: 4096,
      // Agents behind one address (a NAT, or loopback in tests) connect in bursts; libp2p's
      // default of 5 new connections per second per host would refuse them.
      inboundConnectionThreshold: 500,
      maxIncomingPendingConnections: 256
    },
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
        heartbeatInterval: 500
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
