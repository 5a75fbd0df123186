/**
 * What a scenario asks of an engine. Two engines implement it: the simulated engine
 * (RelayCore instances on a discrete-event clock over simulated links) and the real
 * engine (real `createRelay` relays and `connectAgent` agents on 127.0.0.1). The
 * scenario, its workload and its metrics are the same for both.
 */
import type { Topology } from './topologies.js'

export type EngineKind = 'real' | 'simulated'
export type ModeName = 'anycast' | 'multicast' | 'unicast'

export interface AgentSpec {
  index: number
  /** The relay it attaches to (index into the topology). */
  relay: number
  /** Its `org/namespace/service`; the engine adds the instance. */
  service: string
  /** A slow consumer takes this long per message it reads. */
  slowMs?: number
}

/** A message as the workload sees it. */
export interface DeliveredMessage {
  payload: Uint8Array
  source: string
  destination: string
  mode: ModeName
  /** Multicast only. */
  seq?: number
  /** When the agent read it, engine time (ms). */
  at: number
  /** Present on requests. */
  respond?: (payload: Uint8Array) => Promise<void>
}

export interface EngineAgent {
  readonly spec: AgentSpec
  /** The full agent name, once attached. */
  readonly name: string
  /** False between `leave` and `rejoin`. */
  readonly present: boolean
  /** Subscribes; resolves with the first sequence number it will be given. */
  subscribe: (name: string, onMessage: (m: DeliveredMessage) => void, fromSeq?: number) => Promise<number>
  /** Publishes with a caller-chosen message id (a retry reuses it); resolves on the relay's ack. */
  publish: (name: string, payload: Uint8Array, mode: ModeName, messageId: Uint8Array) => Promise<{ seq: number }>
  /** A request to one instance of `name`; resolves with the reply. */
  request: (name: string, payload: Uint8Array, timeoutMs: number) => Promise<DeliveredMessage>
  /** The agent closes its session (its relay withdraws its routes and subscriptions). */
  leave: () => Promise<void>
  /** The agent comes back with the same identity and resumes every subscription where it stopped. */
  rejoin: () => Promise<void>
}

export type FaultKind = 'crash' | 'partition' | 'lossy' | 'slow-consumer'
export const FAULTS: readonly FaultKind[] = ['crash', 'partition', 'lossy', 'slow-consumer']

export interface LinkQuality {
  /** Extra one-way latency per link (ms). */
  latencyMs: number
  /** Uniform jitter added on top (ms). */
  jitterMs: number
  /** Probability that one transmission is lost. */
  loss: number
}

/** Counters of what crossed relay-to-relay links (simulated engine only). */
export interface TrafficCounters {
  announcements: number
  routedData: number
  routedAcks: number
  fetchRequests: number
  fetchReplies: number
  gossipTransmissions: number
  /** Link frames lost and sent again (lossy links). */
  retransmissions: number
  gossipLost: number
}

export interface EngineStartOptions {
  topology: Topology
  agents: AgentSpec[]
  onProgress?: (done: number, total: number, what: string) => void
}

export interface Engine {
  readonly kind: EngineKind
  /** The faults this engine can inject. */
  readonly faults: readonly FaultKind[]
  /** Engine time in ms since the engine started. */
  now: () => number
  /** Builds the relays, links them and attaches the agents. */
  start: (options: EngineStartOptions) => Promise<EngineAgent[]>
  /** Runs `fn` at engine time `at` (ms); errors are the callee's to handle. */
  schedule: (at: number, fn: () => void) => void
  /** Lets engine time pass until `at` (simulated: runs events; real: waits). */
  runUntil: (at: number) => Promise<void>
  /** Runs until `cond` holds (checked every `everyMs`) or `deadline`; true if it held. */
  runUntilTrue: (cond: () => boolean, deadline: number, everyMs: number) => Promise<boolean>
  /** Every live relay knows a route to every live relay it can reach (within the hop limit). */
  routesConverged: () => boolean
  /** The relay index that sequences `name`, as the relays agree (undefined if unknown). */
  sequencerOf: (name: string) => number | undefined
  /** Every live relay knows who sequences each of `names`. */
  claimsKnown: (names: string[]) => boolean
  /** Times slow consumers were cut off by their relay, where the engine can tell. */
  cutOffs: () => number | undefined
  /** Relay ids, by index. */
  relayIds: () => string[]
  crash: (relay: number) => Promise<void>
  restart: (relay: number) => Promise<void>
  /** Cuts every link between `side` and the rest. */
  partition: (side: ReadonlySet<number>) => Promise<void>
  heal: () => Promise<void>
  /** Sets the quality of every link (lossy fault); `undefined` restores it. */
  degradeLinks: (quality: LinkQuality | undefined) => void
  traffic: () => TrafficCounters | undefined
  stop: () => Promise<void>
}

export class UnsupportedFaultError extends Error {
  constructor (message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'UnsupportedFaultError'
  }
}
