/**
 * What a relay counts as it works: plain numbers bumped on the hot path (no metrics
 * library here), read lazily by whoever reports them (`Relay.summary()`, the Prometheus
 * registry in src/control/relay-metrics.ts). Totals since the relay started.
 *
 * Policy denials are not here: `RelayGate.denials` counts them by rule already.
 */
import type { DeliveryModeName } from './policy.js'
import type { QuotaName } from './errors.js'

/** Agents whose publishes are counted (the oldest counted is forgotten past this). */
const MAX_COUNTED_PUBLISHERS = 10_000

/** Peers whose link flaps are counted (the oldest is forgotten past this). */
const MAX_COUNTED_PEERS = 1024

const byMode = (): Record<DeliveryModeName, number> => ({ anycast: 0, multicast: 0, unicast: 0 })

export class RelayCounters {
  /** Messages taken from agents (past the publish checks), by delivery mode. */
  readonly messagesIn = byMode()
  /** Envelopes written to agent sessions, by delivery mode. */
  readonly messagesOut = byMode()
  /** Messages handed to local agents (or held for one briefly away), every mode. */
  deliveries = 0
  /** Positive acknowledgements sent to publishers. */
  acks = 0
  /** Sessions refused at the handshake (bad key or proof, credential, admitSession). */
  authFailures = 0
  /** Sessions cut because their agent stopped reading. */
  slowConsumersCut = 0
  /** Requests refused because their agent was past a quota (src/relay/agent-quotas.ts), by quota. */
  readonly quotaRefusals: Record<QuotaName, number> = { subscriptions: 0, names: 0, bytesInFlight: 0 }
  /** Messages taken from each agent; bounded (see MAX_COUNTED_PUBLISHERS). */
  private readonly publishes = new Map<string, number>()
  /** Times each link went from up to down. */
  private readonly flaps = new Map<string, number>()

  /** A message taken from `agent`. */
  messageIn (agent: string, mode: DeliveryModeName): void {
    this.messagesIn[mode]++
    const n = this.publishes.get(agent)
    if (n != null) { this.publishes.set(agent, n + 1); return }
    if (this.publishes.size >= MAX_COUNTED_PUBLISHERS) this.publishes.delete(this.publishes.keys().next().value as string)
    this.publishes.set(agent, 1)
  }

  /** The link to `peer` went down after being up. */
  linkFlapped (peer: string): void {
    const n = this.flaps.get(peer)
    if (n == null && this.flaps.size >= MAX_COUNTED_PEERS) this.flaps.delete(this.flaps.keys().next().value as string)
    this.flaps.set(peer, (n ?? 0) + 1)
  }

  flapsOf (peer: string): number { return this.flaps.get(peer) ?? 0 }

  /** The `limit` busiest publishers, busiest first. */
  busiestPublishers (limit = 100): Array<[string, number]> {
    return [...this.publishes].sort((a, b) => b[1] - a[1]).slice(0, limit)
  }
}
