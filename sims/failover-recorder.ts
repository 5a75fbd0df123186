/**
 * What the failover simulation (failover-sim.ts) keeps per name, and how it sums up its
 * outages. An outage opens when the relay numbering a name crashes (`holder`), or when
 * a replica of a name whose holder lives crashes (`replica`: the holder acknowledges
 * nothing until a replacement has caught up); it closes at the first acknowledged
 * publish. A second crash during an outage (the relay the lease moved to dies too)
 * extends it: the window still counts from the first crash.
 */
import { round } from './metrics.js'
import { percentiles } from './failover-report.js'
import type { FailoverSimCosts, FailoverSimMetrics } from './failover-report.js'

export type WaitReason = 'noReplica' | 'replicaCatchingUp' | 'replicaDown'

export interface Outage {
  kind: 'holder' | 'replica'
  crashAt: number
  /** The relay whose crash opened it. */
  relay: number
  /** The controller's relayDown that moved the lease, or found it could not. */
  detectedAt?: number
  /** The last start of a sequencer for the name during the outage. */
  startedAt?: number
  waited?: WaitReason
}

export interface NameState {
  index: number
  name: string
  /** The publisher's relay. */
  pub: number
  /** Messages in the archive (what a replacement replica catches up). */
  archive: number
  /** The publisher publishes at pubPhase + k × publishEveryMs. */
  pubPhase: number
  /** The relay that numbers it (as the relays see it), under which term, since when. */
  holder: number
  term: number
  startedAt: number
  /** When the publisher's relay learnt of that holder's claim. */
  routeAt: number
  /** Per replica of the holder: when it holds everything acknowledged (Infinity: down, or not yet known). */
  replicaOk: Map<number, number>
  outage: Outage | null
  /** Bumped by every change: a scheduled acknowledgement of an older version is void. */
  version: number
  /** Times the controller moved its lease. */
  moves?: number
}

interface Run { relays: number, names: number, replication: number, seed: string, costs: FailoverSimCosts, victims: number, wallMs: number, events: number, simulatedMs: number }

export class FailoverRecorder {
  checks = 0
  restarted = 0
  holders = 0
  relayDownCalls = 0
  relayUpCalls = 0
  caughtUpCalls = 0
  leasesChanged = 0
  leasesMoved = 0
  replicasReplaced = 0
  maxChangedPerCall = 0
  movedToCrashed = 0
  publishesFailed = 0
  claimsWallMs = 0
  restoredStale = 0
  ackedOffLease = 0
  readonly relayDownWall: number[] = []
  private sequencerCrashed = 0
  private backBeforeDetection = 0
  private neverNumbered = 0
  private readonly failover: number[] = []
  private readonly unavailable: number[] = []
  private readonly waitedWindows: number[] = []
  private readonly stalls: number[] = []
  private replicaOutages = 0
  private readonly waits: Record<WaitReason, number> = { noReplica: 0, replicaCatchingUp: 0, replicaDown: 0 }
  private readonly parts = { detect: 0, pushAndStart: 0, announce: 0, send: 0, ack: 0 }

  holderCrashed (ns: NameState, t: number, relay: number): void {
    if (ns.outage?.kind === 'holder') return
    ns.outage = { kind: 'holder', crashAt: t, relay }
    this.sequencerCrashed++
  }

  replicaCrashed (ns: NameState, t: number, relay: number): void {
    if (ns.outage != null) return
    ns.outage = { kind: 'replica', crashAt: t, relay }
    this.replicaOutages++
  }

  /** The controller moved the name's lease (to a relay alive or not). */
  moved (ns: NameState, t: number, toAlive: boolean): void {
    ns.moves = (ns.moves ?? 0) + 1
    this.leasesMoved++
    if (!toAlive) this.movedToCrashed++
    if (ns.outage != null) ns.outage.detectedAt ??= t
  }

  /** The controller found the name's holder down and could not move the lease. */
  waited (ns: NameState, t: number, reason: WaitReason, neverNumbered: boolean): void {
    const o = ns.outage
    if (o == null || o.kind !== 'holder' || o.waited != null) return
    o.waited = reason
    if (neverNumbered) this.neverNumbered++
    o.detectedAt ??= t
    this.waits[reason]++
  }

  /** The first publish acknowledged since the outage opened. */
  acked (ns: NameState, ackAt: number, sendAt: number, failed: number): void {
    const o = ns.outage
    if (o == null) return
    ns.outage = null
    this.publishesFailed += failed
    const window = ackAt - o.crashAt
    if (o.kind === 'replica') { this.stalls.push(window); return }
    if (o.waited != null) { this.waitedWindows.push(window); return }
    if (o.detectedAt == null) { this.backBeforeDetection++; this.waitedWindows.push(window); return }
    const started = o.startedAt ?? ns.startedAt
    this.failover.push(started - o.crashAt)
    this.unavailable.push(window)
    this.parts.detect += o.detectedAt - o.crashAt
    this.parts.pushAndStart += started - o.detectedAt
    this.parts.announce += ns.routeAt - started
    this.parts.send += sendAt - ns.routeAt
    this.parts.ack += ackAt - sendAt
  }

  metrics (run: Run, names: NameState[]): FailoverSimMetrics {
    const k = Math.max(1, this.failover.length)
    const mean = (v: number): number => round(v / k, 1)
    const wall = this.relayDownWall
    return {
      scenario: 'failover',
      relays: run.relays,
      names: run.names,
      replication: run.replication,
      seed: run.seed,
      costs: run.costs,
      crashes: { relays: run.victims, restarted: this.restarted, holders: this.holders },
      sequencerCrashed: this.sequencerCrashed,
      failedOver: this.failover.length,
      failoverMs: percentiles(this.failover),
      unavailableMs: percentiles(this.unavailable),
      breakdownMs: { detect: mean(this.parts.detect), pushAndStart: mean(this.parts.pushAndStart), announce: mean(this.parts.announce), send: mean(this.parts.send), ack: mean(this.parts.ack) },
      waitedForHolder: {
        total: this.waits.noReplica + this.waits.replicaCatchingUp + this.waits.replicaDown + this.backBeforeDetection,
        ...this.waits,
        backBeforeDetection: this.backBeforeDetection,
        holderNeverNumbered: this.neverNumbered,
        recovered: this.waitedWindows.length,
        unavailableMs: percentiles(this.waitedWindows)
      },
      stillUnavailable: names.filter(ns => ns.outage != null).length,
      movedMoreThanOnce: names.filter(ns => (ns.moves ?? 0) > 1).length,
      movedToCrashedRelay: this.movedToCrashed,
      replicaLost: { names: this.replicaOutages, stallMs: percentiles(this.stalls) },
      publishesFailed: this.publishesFailed,
      restored: { stale: this.restoredStale, ackedOffLease: this.ackedOffLease },
      controller: {
        relayDownCalls: this.relayDownCalls,
        relayUpCalls: this.relayUpCalls,
        caughtUpCalls: this.caughtUpCalls,
        leasesChanged: this.leasesChanged,
        leasesMoved: this.leasesMoved,
        replicasReplaced: this.replicasReplaced,
        maxChangedPerCall: this.maxChangedPerCall,
        claimsWallMs: Math.round(this.claimsWallMs),
        relayDownWallMs: { mean: round(wall.reduce((s, x) => s + x, 0) / Math.max(1, wall.length), 2), max: round(Math.max(0, ...wall), 2) }
      },
      invariants: { checks: this.checks },
      run: { wallMs: Math.round(run.wallMs), events: run.events, simulatedMs: Math.round(run.simulatedMs) }
    }
  }
}
