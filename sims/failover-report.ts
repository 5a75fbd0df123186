/**
 * What the sequencer-failover simulation (failover-sim.ts) measures, the constants it
 * models, and its table. Times are simulated milliseconds; windows count from the crash
 * of the relay that numbered the name.
 */
import { DEFAULT_CONTROLLER_TIMINGS } from '../src/control/controller-core.js'
import { DEFAULT_RELAY_CONFIG } from '../src/relay/types.js'
import { round } from './metrics.js'

/** The modelled constants (ms unless said). Those the code has are read from it. */
export interface FailoverSimCosts {
  /** Relays heartbeat this often (the controller's `heartbeatMs`, src/control/controller-core.ts). */
  heartbeatMs: number
  /** Heartbeat interval jitter, ± this fraction. */
  heartbeatJitter: number
  /** No heartbeat for this long: the controller marks the relay down (`downAfterMs`). */
  downAfterMs: number
  /** Relay-controller one-way latency (heartbeats, claims, caught-up reports), uniform in [min, max]. */
  networkMs: [number, number]
  /** Controller CPU per changed lease pushed (the pushes go out one after another). */
  pushCpuMs: number
  /** Latency of a lease push on the relay's event stream, drawn per push, uniform in [min, max]. */
  pushMs: [number, number]
  /** A new holder starting a name's sequencer (reading the archive tail), one name at a time per relay. */
  startMs: number
  /** One hop of the claim announcement (and of submissions, acks and replication) over the relay graph. */
  hopMs: number
  /** Links per relay of the random relay graph the announcements cross. */
  degree: number
  /** The relays of publishers send an unacknowledged submission again this long after the last send (`resendAfterMs`, src/relay/types.ts); they check every half of it. */
  resendAfterMs: number
  /** A submission unacknowledged this long fails with `UnavailableError` (`sequencerWaitMs`); the publisher publishes again. */
  sequencerWaitMs: number
  /** Each name's publisher publishes this often, waiting for each acknowledgement (one in flight). */
  publishEveryMs: number
  /** A sequencer appending one message (and a replica storing it). */
  appendMs: number
  /** Messages in a name's archive: exponentially distributed with this mean. */
  archiveMessages: number
  /** Catch-up of a replacement replica per archived message; one catch-up at a time per replica relay. */
  catchUpPerMessageMs: number
  /** When the crashes happen: uniform in [from, to]. */
  crashWindowMs: [number, number]
  /** Fraction of the crashed relays that come back (with their store). */
  restartFraction: number
  /** How long a crashed relay stays down before it restarts, uniform in [min, max]. */
  restartAfterMs: [number, number]
  /** A restarted relay's first heartbeat and claims, after this boot time. */
  bootMs: number
  /** The run goes on this long after the last crash. */
  tailMs: number
}

export const DEFAULT_FAILOVER_COSTS: FailoverSimCosts = {
  heartbeatMs: DEFAULT_CONTROLLER_TIMINGS.heartbeatMs,
  heartbeatJitter: 0.1,
  downAfterMs: DEFAULT_CONTROLLER_TIMINGS.downAfterMs,
  networkMs: [1, 5],
  pushCpuMs: 0.02,
  pushMs: [1, 10],
  startMs: 3,
  hopMs: 2,
  degree: 4,
  resendAfterMs: DEFAULT_RELAY_CONFIG.resendAfterMs,
  sequencerWaitMs: DEFAULT_RELAY_CONFIG.sequencerWaitMs,
  publishEveryMs: 1000,
  appendMs: 1,
  archiveMessages: 10_000,
  catchUpPerMessageMs: 0.02,
  crashWindowMs: [10_000, 70_000],
  restartFraction: 0.5,
  restartAfterMs: [10_000, 40_000],
  bootMs: 500,
  tailMs: 60_000
}

export interface Percentiles { min: number, p50: number, p90: number, p99: number, max: number, count: number }

export function percentiles (values: number[]): Percentiles {
  const a = Float64Array.from(values).sort()
  const n = a.length
  if (n === 0) return { min: 0, p50: 0, p90: 0, p99: 0, max: 0, count: 0 }
  const at = (q: number): number => round(a[Math.min(n - 1, Math.floor(q * n))] as number, 1)
  return { min: round(a[0] as number, 1), p50: at(0.5), p90: at(0.9), p99: at(0.99), max: round(a[n - 1] as number, 1), count: n }
}

export interface FailoverSimMetrics {
  scenario: 'failover'
  relays: number
  names: number
  replication: number
  seed: string
  costs: FailoverSimCosts
  crashes: { relays: number, restarted: number, /** Crashed relays that held a lease at their crash. */ holders: number }
  /** Names whose sequencer crashed (counted once per name, from its first such crash). */
  sequencerCrashed: number
  /** Names whose lease moved to a replica and that acknowledged a publish again. */
  failedOver: number
  /** Crash → the relay that acknowledged first numbers the name (has the lease, sequencer started). */
  failoverMs: Percentiles
  /** Crash → the first acknowledged publish. */
  unavailableMs: Percentiles
  /** Where the failed-over names' window went, means (ms): detection, lease push and start, claim to the publisher's relay, to the first send after it, to its acknowledgement. */
  breakdownMs: { detect: number, pushAndStart: number, announce: number, send: number, ack: number }
  /** Names the controller could not fail over: they waited for their holder to return. */
  waitedForHolder: {
    total: number
    /** Replication 1: no replica. */
    noReplica: number
    /** The only replicas were still catching up (the LeaseBook refuses those). */
    replicaCatchingUp: number
    /** The replicas were down too. */
    replicaDown: number
    /** The holder came back before the controller marked it down (a restart faster than down-after). */
    backBeforeDetection: number
    /** Of those, names whose lease had moved to a relay that had crashed before it numbered them (not yet marked down). */
    holderNeverNumbered: number
    /** The holder came back and acknowledged again, and how long it took. */
    recovered: number
    unavailableMs: Percentiles
  }
  /** Names without an acknowledged publish at the end of the run. */
  stillUnavailable: number
  /** Names whose lease moved more than once in the run. */
  movedMoreThanOnce: number
  /** Leases moved to a relay that had crashed but was not yet marked down. */
  movedToCrashedRelay: number
  /** Names whose holder lived but whose replica crashed: the holder acknowledges nothing until a replacement has caught up. */
  replicaLost: { names: number, stallMs: Percentiles }
  /** Publishes that failed with `UnavailableError` (no acknowledgement within `sequencerWaitMs`). */
  publishesFailed: number
  /** Relays back from a restart: names they led on under a term that had moved (until fenced), and outages ended by an acknowledgement without a replica the controller's lease counts on (a restored leader replicating to the replicas it kept). */
  restored: { stale: number, ackedOffLease: number }
  controller: {
    relayDownCalls: number
    relayUpCalls: number
    caughtUpCalls: number
    leasesChanged: number
    leasesMoved: number
    replicasReplaced: number
    /** Most leases one `relayDown` changed. */
    maxChangedPerCall: number
    /** Wall time in the LeaseBook (ms): the initial claims, and `relayDown` calls. */
    claimsWallMs: number
    relayDownWallMs: { mean: number, max: number }
  }
  invariants: { checks: number }
  run: { wallMs: number, events: number, simulatedMs: number }
}

export function formatFailoverTable (m: FailoverSimMetrics): string {
  const p = (x: Percentiles): string => x.count === 0 ? 'none' : `p50 ${x.p50} / p90 ${x.p90} / p99 ${x.p99} / max ${x.max} ms (${x.count})`
  const c = m.costs
  const b = m.breakdownMs
  const w = m.waitedForHolder
  const rows: Array<[string, string]> = [
    ['scenario', `sequencer failover, ${m.relays} relays, ${m.names} names, replication ${m.replication}, seed ${m.seed}`],
    ['timings', `heartbeat ${c.heartbeatMs} ms ±${c.heartbeatJitter * 100}%, down after ${c.downAfterMs} ms, resend after ${c.resendAfterMs} ms, start ${c.startMs} ms/name, hop ${c.hopMs} ms, push ${c.pushMs[0]}-${c.pushMs[1]} ms`],
    ['crashes', `${m.crashes.relays} relays (${m.crashes.holders} held leases), ${m.crashes.restarted} restarted`],
    ['sequencer crashed', `${m.sequencerCrashed} names`],
    ['failed over', `${m.failedOver} names`],
    ['  failover time', p(m.failoverMs)],
    ['  unavailable', p(m.unavailableMs)],
    ['  where it went (mean)', `detect ${b.detect} + push/start ${b.pushAndStart} + announce ${b.announce} + to next send ${b.send} + to ack ${b.ack} ms`],
    ['waited for holder', `${w.total} names (no replica ${w.noReplica}, replica catching up ${w.replicaCatchingUp}, replica down ${w.replicaDown}, back before detection ${w.backBeforeDetection}); ${w.holderNeverNumbered} had moved to a crashed relay; ${w.recovered} back`],
    ['  unavailable', p(w.unavailableMs)],
    ['still unavailable at end', `${m.stillUnavailable} names`],
    ['moved more than once', `${m.movedMoreThanOnce} names (${m.movedToCrashedRelay} moves to a crashed relay not yet marked down)`],
    ['replica lost', `${m.replicaLost.names} names; acks stalled ${p(m.replicaLost.stallMs)}`],
    ['publishes failed', `${m.publishesFailed} (no ack within ${c.sequencerWaitMs} ms)`],
    ['restarts', `${m.restored.stale} names led on under a moved lease until fenced; ${m.restored.ackedOffLease} acks without a replica the lease counts on`],
    ['controller', `${m.controller.relayDownCalls} relayDown, ${m.controller.relayUpCalls} relayUp, ${m.controller.caughtUpCalls} caughtUp; ${m.controller.leasesChanged} leases changed (${m.controller.leasesMoved} moved, ${m.controller.replicasReplaced} replicas replaced), at most ${m.controller.maxChangedPerCall} per call`],
    ['  LeaseBook wall time', `claims ${m.controller.claimsWallMs} ms; relayDown mean ${m.controller.relayDownWallMs.mean} ms, max ${m.controller.relayDownWallMs.max} ms`],
    ['invariants', `${m.invariants.checks} checks, none broken`],
    ['run', `${m.run.wallMs} ms wall, ${m.run.simulatedMs} ms simulated, ${m.run.events} events`]
  ]
  const width = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}
