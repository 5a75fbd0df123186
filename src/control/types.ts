/**
 * The shapes the control plane's parts share: the topology a mesh asks for, what a relay
 * reports with each heartbeat, the health of a link, and an alert. Types only, so the
 * controller, the relay's control client, the topology manager, the anomaly detectors
 * and the simulations can each import them without importing each other.
 */
import type { DeliveryModeName } from '../relay/policy.js'

/**
 * How the relays are linked:
 * - `full`: every live relay to every other;
 * - `star`: every live relay to the hub (`hub`, or the oldest live relay);
 * - `line`: live relays in registration order, each to the next;
 * - `pairs`: the listed pairs (between live relays), plus repair links where the listed
 *   ones leave the live relays in more than one piece;
 * - `computed`: chosen by the topology manager from link health (see topology.ts).
 */
export type TopologySpec =
  | { kind: 'full' }
  | { kind: 'star', hub?: string }
  | { kind: 'line' }
  | { kind: 'pairs', pairs: Array<[string, string]> }
  | { kind: 'computed', degree?: number }

/** A relay as the topology manager sees it. */
export interface RelayView {
  peerId: string
  /** Heartbeating now (not marked down). */
  up: boolean
  /** Registration order (older first): stable, so plans do not reshuffle. */
  order: number
}

/** One direction of a link as a relay measured it (from its heartbeat). */
export interface LinkHealth {
  /** The reporting relay. */
  from: string
  /** Its neighbour. */
  to: string
  /** Round-trip time of the link's keepalive, ms (undefined: not measured yet). */
  rttMs?: number
  /** Fraction of probes lost over the last interval, 0..1. */
  loss?: number
  /** Bytes queued for the neighbour. */
  queuedBytes?: number
}

/** One link of the plan: two relays, `a < b`. */
export type LinkPair = [string, string]

/** What a relay reports to the controller with each heartbeat. Counters are totals since the relay started. */
export interface RelaySummary {
  /** When it was taken (ms since the epoch, the relay's clock). */
  at: number
  /** When the relay started (a new value: its counters started again from 0). */
  startedAt: number
  sessions: number
  /** Messages taken from agents, by delivery mode. */
  messagesIn: Record<DeliveryModeName, number>
  /** Messages sent on to agents, by delivery mode. */
  messagesOut: Record<DeliveryModeName, number>
  /** Messages delivered to local agents (every mode). */
  deliveries: number
  /** Acknowledgements sent to publishers. */
  acks: number
  /** Policy and grant refusals, by rule. */
  denials: Record<string, number>
  /** Sessions refused at the handshake (credential or proof checks). */
  authFailures: number
  /** Messages taken from each agent (the busiest, at most 100). */
  publishesByAgent: Record<string, number>
  /** Per name this relay sequences or follows: the head it knows and how far its local delivery is behind it. */
  sequencers: Array<{ name: string, head: number, lag: number, sequencer: boolean }>
  /** Event-loop delay, ms (p99 since the last summary). */
  eventLoopDelayMs: number
  /** Bytes queued to agents and links. */
  queuedBytes: number
  /** Slow consumers cut off. */
  slowConsumersCut: number
  /** Requests refused because their agent was past a quota, by quota (`subscriptions`, `names`, `bytesInFlight`). */
  quotaRefusals?: Record<string, number>
  /** Links to other relays now, with their health and how often each went down. */
  links: Array<{ peer: string, up: boolean, rttMs?: number, flaps: number, loss?: number, queuedBytes?: number }>
}

/** An anomaly the controller saw: explainable, with a start and (once over) an end. */
export interface Alert {
  id: string
  /** `publish-rate`, `denials`, `auth-failures`, `sequencer-lag`, `event-loop-delay`, `link-flaps`, `relay-silent`. */
  kind: string
  /** What it is about: `agent:<name>`, `relay:<peerId>`, `name:<name>`, `link:<a>-<b>`. */
  subject: string
  /** The relay that reported it. */
  relay?: string
  /** In words, with the figures: "publish rate 812/s against a baseline of 20/s (z 41.2)". */
  reason: string
  value: number
  baseline: number
  startedAt: number
  endedAt?: number
  /** What a policy did about it (`rate-limit agent:... to 50/s`), if anything. */
  action?: string
}
