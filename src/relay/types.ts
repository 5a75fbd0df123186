/** The faces the relay logic talks through: to the transport, and to each agent session. */
import type { Ack, Envelope, GossipBatch, RouteAnnouncement, Routed } from '../wire/envelope.pb.js'
import type { Store } from '../store/store.js'
import type { Clock } from './clock.js'
import type { RelayPolicy } from './policy.js'
import type { TrustAnchors } from '../trust/verifier.js'
import type { LeaseAuthority } from './sequencer-leases.js'
import type { Logger } from '../logger.js'
import type { RelayQuotas } from './agent-quotas.js'

/** What the relay logic asks of its transport (libp2p in the real engine). */
export interface RelayIO {
  /** Queues an announcement on the link to a neighbour. */
  sendAnnouncement: (peer: string, announcement: RouteAnnouncement) => void
  /** Queues a routed frame on the link to a neighbour. */
  sendRouted: (peer: string, routed: Routed) => void
  /** Resolves now if the link to `peer` is not backed up, else once it drains (optional). */
  linkWritable?: (peer: string) => Promise<void> | undefined
  /** Multicasts a batch of sequenced messages to the relays on the name's topic. */
  publish: (name: string, batch: GossipBatch) => void
  /** Joins or leaves the name's multicast topic. */
  setTopic: (name: string, subscribed: boolean) => void
  /** This relay's own addresses, for its announcement. */
  addrs: () => string[]
}

/** What the relay logic asks of one agent session. */
export interface AgentPort {
  deliver: (envelope: Envelope) => void
  ack: (ack: Partial<Ack>) => void
  /** True while the session's write queue is backed up. */
  backlogged: () => boolean
  /** Resolves once the session can take more (or is gone). */
  whenWritable: () => Promise<void>
  /** Stops reading from this agent until `until` settles (backpressure toward a fast sender). */
  pauseUntil?: (until: Promise<void>) => void
  /** Ends the session of an agent that stopped reading (a slow consumer). */
  cut?: (reason: string) => void
  /** Ends the agent's subscription to `name` with an error (`code`; `nextSeq` as `Subscribed` carries it). */
  subscriptionEnded?: (name: string, code: number, reason: string, nextSeq: number) => void
}

export interface RelayConfig {
  /** How often a relay re-announces its routes. */
  announceIntervalMs: number
  /** How long a route lives without a refresh. */
  routeTtlMs: number
  /** How many links an announcement may cross. */
  announceHopLimit: number
  /** Messages held for an agent that is briefly away. */
  awayBufferLimit: number
  /** How long a request to another relay may take. */
  requestTimeoutMs: number
  /** How long a gap in a multicast stream may wait before it is fetched. */
  gapWaitMs: number
  /** How long multicast traffic must have been quiet before a relay checks it has the sequencer's last message. */
  tailCheckMs: number
  /**
   * How long a fresh sequencer claim holds its first messages before acknowledging any,
   * so that a concurrent claim on another relay is seen first (well above the time an
   * announcement takes to cross the mesh).
   */
  claimSettleMs: number
  /**
   * How long a receiver may stay backed up while a sender on this relay waits for it;
   * past this it is cut as a slow consumer and the sender goes on (NATS: 10 s).
   */
  writeDeadlineMs: number
  /**
   * How long a multicast submission forwarded toward another relay's sequencer waits for
   * its acknowledgement before it is sent again (the sequencer de-duplicates).
   */
  resendAfterMs: number
  /**
   * How long such a submission is retried while its sequencer is unreachable before its
   * publisher gets `UnavailableError` (keep it below the agents' publish timeout).
   */
  sequencerWaitMs: number
}

export const DEFAULT_RELAY_CONFIG: RelayConfig = {
  announceIntervalMs: 5_000,
  routeTtlMs: 15_000,
  announceHopLimit: 8,
  awayBufferLimit: 1024,
  requestTimeoutMs: 5_000,
  gapWaitMs: 50,
  tailCheckMs: 250,
  claimSettleMs: 500,
  writeDeadlineMs: 5_000,
  resendAfterMs: 2_000,
  sequencerWaitMs: 20_000
}

/** What a `RelayCore` is made with (src/relay/relay-core.ts). */
export interface RelayCoreInit {
  peerId: string
  store: Store
  io: RelayIO
  clock: Clock
  config?: Partial<RelayConfig>
  /** Admission and permission hooks (src/relay/policy.ts); none: everything is allowed, as before. */
  policy?: RelayPolicy
  /** The mesh's trust anchors: every agent's requests are checked against its credential's grants. None: open mode. */
  trust?: TrustAnchors
  /** A controller's sequencer leases (src/relay/sequencer-leases.ts); none: no replication. */
  leases?: LeaseAuthority
  /** Quotas per agent (src/relay/agent-quotas.ts), over `DEFAULT_RELAY_QUOTAS`. */
  quotas?: Partial<RelayQuotas>
  log?: Logger
  onTransition?: (actor: string, from: string, to: string, event: string) => void
}
