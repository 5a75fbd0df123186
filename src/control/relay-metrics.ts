/**
 * A relay's Prometheus metrics: one `Registry` per relay (several relays share a process
 * in tests and simulations, so never the global default registry). Every series reads
 * the relay's plain counters when scraped (`collect`), so the hot path only bumps numbers
 * (src/relay/counters.ts) and nothing here runs between scrapes.
 *
 * ```ts
 * const registry = relayMetrics(source)
 * await registry.metrics() // slim_messages_in_total{mode="multicast"} 12 ...
 * ```
 */
import { Counter, Gauge, Registry } from 'prom-client'
import type { DeliveryModeName } from '../relay/policy.js'
import type { RelaySummary } from './types.js'

/** What the metrics read, each time they are scraped. */
export interface RelayMetricsSource {
  peerId: string
  mesh?: string
  sessions: () => number
  messagesIn: () => Readonly<Record<DeliveryModeName, number>>
  messagesOut: () => Readonly<Record<DeliveryModeName, number>>
  deliveries: () => number
  acks: () => number
  /** Policy and grant refusals by rule (the gate's own count). */
  denials: () => ReadonlyMap<string, number>
  authFailures: () => number
  slowConsumersCut: () => number
  /** Requests refused because their agent was past a quota, by quota (optional: older sources have none). */
  quotaRefusals?: () => Readonly<Record<string, number>>
  sequencers: () => RelaySummary['sequencers']
  links: () => RelaySummary['links']
  queuedBytes: () => number
  /** Event-loop delay p99 in ms since the previous call (each scrape reads a fresh window). */
  eventLoopDelayMs: () => number
}

/** Names reported with a head or a lag at most (the most lagging first, then the highest heads). */
export const MAX_NAME_SERIES = 1000
/** Peers reported with a round-trip time at most. */
export const MAX_PEER_SERIES = 1000

const MODES: DeliveryModeName[] = ['anycast', 'multicast', 'unicast']

export function relayMetrics (source: RelayMetricsSource): Registry {
  const registry = new Registry()
  const registers = [registry]

  // A counter set from a total kept elsewhere: reset, then raised to the total.
  const total = (name: string, help: string, read: () => number): void => {
    void new Counter({
      name, help, registers,
      collect () { this.reset(); this.inc(read()) }
    })
  }
  const byMode = (name: string, help: string, read: () => Readonly<Record<DeliveryModeName, number>>): void => {
    void new Counter({
      name, help, registers, labelNames: ['mode'],
      collect () {
        this.reset()
        const v = read()
        for (const mode of MODES) this.inc({ mode }, v[mode])
      }
    })
  }
  const gauge = (name: string, help: string, read: () => number): void => {
    void new Gauge({ name, help, registers, collect () { this.set(read()) } })
  }

  void new Gauge({
    name: 'slim_relay_info',
    help: 'The relay: its peer id and mesh (value always 1).',
    labelNames: ['peer_id', 'mesh'],
    registers,
    collect () { this.reset(); this.set({ peer_id: source.peerId, mesh: source.mesh ?? 'open' }, 1) }
  })
  gauge('slim_sessions', 'Agent sessions attached to the relay now.', source.sessions)
  byMode('slim_messages_in_total', 'Messages taken from agents (past the publish checks), by delivery mode.', source.messagesIn)
  byMode('slim_messages_out_total', 'Envelopes written to agent sessions, by delivery mode.', source.messagesOut)
  total('slim_deliveries_total', 'Messages handed to local agents (or held for one briefly away), every mode.', source.deliveries)
  total('slim_acks_total', 'Positive acknowledgements sent to publishers.', source.acks)
  void new Counter({
    name: 'slim_policy_denials_total',
    help: 'Policy and grant refusals, by rule (allowSubscribe, grant.publish.multicast, ...).',
    labelNames: ['rule'],
    registers,
    collect () {
      this.reset()
      for (const [rule, n] of source.denials()) this.inc({ rule }, n)
    }
  })
  total('slim_auth_failures_total', 'Sessions refused at the handshake (key proof, credential or admitSession).', source.authFailures)
  total('slim_slow_consumers_cut_total', 'Agent sessions cut because the agent stopped reading.', source.slowConsumersCut)
  void new Counter({
    name: 'slim_quota_refusals_total',
    help: 'Requests refused because their agent was past a quota, by quota (subscriptions, names, bytesInFlight).',
    labelNames: ['quota'],
    registers,
    collect () {
      this.reset()
      for (const [quota, n] of Object.entries(source.quotaRefusals?.() ?? {})) this.inc({ quota }, n)
    }
  })
  const names = (): RelaySummary['sequencers'] => [...source.sequencers()].sort((a, b) => b.lag - a.lag || b.head - a.head).slice(0, MAX_NAME_SERIES)
  void new Gauge({
    name: 'slim_sequencer_head',
    help: `Per name this relay sequences (role sequencer: the last number it assigned) or follows (role follower: the sequencer's head as known here); at most ${MAX_NAME_SERIES} names.`,
    labelNames: ['name', 'role'],
    registers,
    collect () {
      this.reset()
      for (const s of names()) this.set({ name: s.name, role: s.sequencer ? 'sequencer' : 'follower' }, s.head)
    }
  })
  void new Gauge({
    name: 'slim_follower_lag',
    help: 'Per name: how many numbers local delivery is behind the head this relay knows.',
    labelNames: ['name'],
    registers,
    collect () {
      this.reset()
      for (const s of names()) this.set({ name: s.name }, s.lag)
    }
  })
  gauge('slim_queued_bytes', 'Bytes queued to agents and to linked relays.', source.queuedBytes)
  gauge('slim_event_loop_delay_seconds', 'Event-loop delay, p99 since the previous scrape.', () => source.eventLoopDelayMs() / 1000)
  void new Gauge({
    name: 'slim_link_rtt_seconds',
    help: 'Round-trip time of each link\'s last answered keepalive probe.',
    labelNames: ['peer'],
    registers,
    collect () {
      this.reset()
      for (const l of source.links().slice(0, MAX_PEER_SERIES)) if (l.rttMs != null) this.set({ peer: l.peer }, l.rttMs / 1000)
    }
  })
  void new Counter({
    name: 'slim_link_flaps_total',
    help: 'Times each link went from up to down.',
    labelNames: ['peer'],
    registers,
    collect () {
      this.reset()
      for (const l of source.links().slice(0, MAX_PEER_SERIES)) if (l.flaps > 0) this.inc({ peer: l.peer }, l.flaps)
    }
  })
  gauge('slim_links_up', 'Links to other relays up now.', () => source.links().filter(l => l.up).length)
  return registry
}
