/**
 * What multicast at one relay (the sequencer registry and the ordered streams) needs
 * from the relay around it, and one agent's subscription as multicast sees it.
 */
import type { Envelope, FetchReply, ReplicaAck, Replicate } from '../wire/envelope.pb.js'
import type { LeaseAuthority } from './sequencer-leases.js'
import type { SequencerAck } from './sequencer.actor.js'
import type { SequencerOrigin } from '../machines/sequencer.machine.js'
import type { ForwardingTable } from './forwarding-table.js'
import type { Clock } from './clock.js'
import type { Store } from '../store/store.js'
import type { AgentPort, RelayConfig, RelayIO } from './types.js'
import type { Logger } from '../logger.js'
import type { RelayCounters } from './counters.js'

/** One agent's subscription to a name, at this relay. */
export interface LocalSub {
  agent: string
  name: string
  /** The next sequence number this subscription is owed. */
  nextSeq: number
  replaying: boolean
  closed: boolean
  port: () => AgentPort | undefined
  /** The relay ended the subscription (its history was trimmed while it was behind). */
  onEnded?: () => void
  /**
   * A delivered envelope that expects a reply (a DiscoveryRequest to a channel): the
   * relay remembers it, so the agent's reply to its sender needs no publish grant
   * (allow-responses, as for requests delivered one-to-one).
   */
  asked?: (env: Envelope) => void
}

export interface MulticastHost {
  self: string
  store: Store
  clock: Clock
  table: ForwardingTable
  io: RelayIO
  config: RelayConfig
  fetch: (relay: string, name: string, fromSeq: number, limit: number) => Promise<FetchReply>
  ackOrigin: (origin: SequencerOrigin, ack: SequencerAck) => void
  /** Sends a submission on to the sequencer relay `relay` (`handover`: one this relay sequenced under a lost claim, retried until the winner has it). */
  forward: (relay: string, env: Envelope, origin: SequencerOrigin, handover?: boolean) => void
  /**
   * Resolves once `port` can take more; a port that stays backed up past the write
   * deadline is cut as a slow consumer (and the promise resolves then too).
   */
  writable: (port: AgentPort, agent: string) => Promise<void>
  routesChanged: () => void
  /** Sends replication traffic to another relay (routed there). */
  sendTo: (to: string, part: { replicate?: Replicate, replicaAck?: ReplicaAck }) => void
  /** A controller's sequencer leases; none: the earliest claim wins and nothing is replicated. */
  leases?: LeaseAuthority
  onTransition?: (actor: string, from: string, to: string, event: string) => void
  /** What the relay counts (deliveries to local subscribers, here). */
  counters?: RelayCounters
  log: Logger
}
