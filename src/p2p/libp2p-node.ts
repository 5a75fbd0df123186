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

export type RelayLibp2p = Libp2p<{ pubsub: GossipSub, ping: Ping, identify: Identify }>

export async function createRelayLibp2p (privateKey: PrivateKey, listen: string[]): Promise<RelayLibp2p> {
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
