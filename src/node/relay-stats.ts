/**
 * What a relay reports about itself: its summary (what the control plane's heartbeat
 * carries, src/control/types.ts), the source its Prometheus metrics read
 * (src/control/relay-metrics.ts), and whether it is ready for traffic. Everything is
 * read from the relay's parts when asked; only the event-loop delay is measured here,
 * with `perf_hooks.monitorEventLoopDelay` (one histogram for summaries and one for
 * scrapes, as each reads and resets its own window).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import type { IntervalHistogram } from 'node:perf_hooks'
import type { RelayCore } from '../relay/relay-core.js'
import type { RelaySessionActor } from '../actors/relay-session.actor.js'
import type { PeerLinkActor } from '../actors/peer-link.actor.js'
import type { RelaySummary } from '../control/types.js'
import type { RelayMetricsSource } from '../control/relay-metrics.js'
import type { Readiness } from '../control/monitor-server.js'

export interface RelayStatsInit {
  peerId: string
  mesh?: string
  core: RelayCore
  /** Every session the relay holds (some may be closed). */
  sessions: () => Iterable<RelaySessionActor>
  /** The links the relay keeps (up or trying), by peer. */
  links: () => ReadonlyMap<string, PeerLinkActor>
  startedAt: number
}

/** Busiest publishers in a summary. */
const SUMMARY_PUBLISHERS = 100

export class RelayStats {
  private readonly init: RelayStatsInit
  private readonly summaryDelay: IntervalHistogram
  private readonly scrapeDelay: IntervalHistogram

  constructor (init: RelayStatsInit) {
    this.init = init
    this.summaryDelay = monitorEventLoopDelay({ resolution: 10 })
    this.scrapeDelay = monitorEventLoopDelay({ resolution: 10 })
    this.summaryDelay.enable()
    this.scrapeDelay.enable()
  }

  stop (): void {
    this.summaryDelay.disable()
    this.scrapeDelay.disable()
  }

  sessions (): number {
    const core = this.init.core
    return core.agentNames().filter(n => core.isAttached(n)).length
  }

  queuedBytes (): number {
    let n = 0
    for (const s of this.init.sessions()) n += s.queuedBytes
    for (const l of this.init.links().values()) n += l.queuedBytes
    return n
  }

  links (): RelaySummary['links'] {
    const { core } = this.init
    return [...this.init.links()].map(([peer, link]) => ({
      peer,
      up: core.linkKind(peer) != null,
      ...(link.rttMs != null ? { rttMs: link.rttMs } : {}),
      ...(link.loss != null ? { loss: link.loss } : {}),
      queuedBytes: link.queuedBytes,
      flaps: core.counters.flapsOf(peer)
    }))
  }

  summary (): RelaySummary {
    const { core } = this.init
    const c = core.counters
    return {
      at: Date.now(),
      startedAt: this.init.startedAt,
      sessions: this.sessions(),
      messagesIn: { ...c.messagesIn },
      messagesOut: { ...c.messagesOut },
      deliveries: c.deliveries,
      acks: c.acks,
      denials: Object.fromEntries(core.gate.denials),
      authFailures: c.authFailures,
      publishesByAgent: Object.fromEntries(c.busiestPublishers(SUMMARY_PUBLISHERS)),
      sequencers: core.multicast.sequencerHeads(),
      eventLoopDelayMs: p99ms(this.summaryDelay),
      queuedBytes: this.queuedBytes(),
      slowConsumersCut: c.slowConsumersCut,
      quotaRefusals: { ...c.quotaRefusals },
      links: this.links()
    }
  }

  /** What the relay's Prometheus registry reads. */
  get source (): RelayMetricsSource {
    const { core } = this.init
    const c = core.counters
    return {
      peerId: this.init.peerId,
      mesh: this.init.mesh,
      sessions: () => this.sessions(),
      messagesIn: () => c.messagesIn,
      messagesOut: () => c.messagesOut,
      deliveries: () => c.deliveries,
      acks: () => c.acks,
      denials: () => core.gate.denials,
      authFailures: () => c.authFailures,
      slowConsumersCut: () => c.slowConsumersCut,
      quotaRefusals: () => c.quotaRefusals,
      sequencers: () => core.multicast.sequencerHeads(),
      links: () => this.links(),
      queuedBytes: () => this.queuedBytes(),
      eventLoopDelayMs: () => p99ms(this.scrapeDelay)
    }
  }

  /**
   * Ready when the relay runs and, if it has relays to link to, at least one link is up:
   * a relay cut off from its mesh serves only its own agents.
   */
  readiness (running: boolean): Readiness {
    if (!running) return { ready: false, reasons: ['relay stopped'] }
    const links = this.links()
    const up = links.filter(l => l.up).length
    if (links.length > 0 && up === 0) return { ready: false, reasons: [`no link up: 0 of ${links.length} relay${links.length === 1 ? '' : 's'} linked`] }
    return { ready: true, reasons: [] }
  }
}

/** The histogram's p99 in ms, and a fresh window from here on. */
function p99ms (h: IntervalHistogram): number {
  const v = h.count > 0 ? h.percentile(99) / 1e6 : 0
  h.reset()
  return v
}
