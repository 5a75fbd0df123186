/**
 * The libp2p nodes slim-mesh runs: a relay (TCP, Noise, Yamux, identify, ping,
 * gossipsub) and an agent (TCP, Noise, Yamux; it only dials its relay).
 */
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@libp2p/noise'
import { yamux } from '@libp2p/yamux'
import { identify } from '@libp2p/identify'
import { ping } from '@libp2p/ping'
import { gossipsub } from '@libp2p/gossipsub'
import type { GossipSub } from '@libp2p/gossipsub'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import type { Ping } from '@libp2p/ping'
import type { Identify } from '@libp2p/identify'
import { AddressInUseError, ListenError } from './errors.js'

export type RelayLibp2p = Libp2p<{ pubsub: GossipSub, ping: Ping, identify: Identify }>

/**
 * A relay's libp2p node, listening on `listen`. A listen address that fails gives an
 * `AddressInUseError` or a `ListenError` naming it, not libp2p's advice about
 * `transportManager.faultTolerance` with a stack trace per address.
 */
export async function createRelayLibp2p (privateKey: PrivateKey, listen: string[]): Promise<RelayLibp2p> {
  try {
    return await startRelayLibp2p(privateKey, listen)
  } catch (err) {
    throw listenError(err) ?? err
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

async function startRelayLibp2p (privateKey: PrivateKey, listen: string[]): Promise<RelayLibp2p> {
  return await createLibp2p({
    privateKey,
    addresses: { listen },
    transports: [tcp()],
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

export async function createAgentLibp2p (privateKey: PrivateKey): Promise<Libp2p> {
  return await createLibp2p({
    privateKey,
    addresses: { listen: [] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()]
  })
}
