/**
 * What the control-plane simulation (control-sim.ts) measures, and its table. Times are
 * simulated milliseconds; `crash.*Ms` count from the crash, `policy.*Ms` from the
 * operator's change.
 */
import type { LatencySummary } from './metrics.js'

/** The modelled costs (ms) the figures depend on. */
export interface ControlSimCosts {
  /** Controller-relay one-way latency, uniform in [min, max]. */
  networkMs: [number, number]
  /** Controller CPU to encode and write one change notice (notices go out one after another). */
  noticeMs: number
  /** Controller CPU to serve one pull (the relay's slice of the signed desired state). */
  pullMs: number
  /** Controller CPU to plan, sign and store a new generation, on top of `planLinks` itself. */
  generationMs: number
  /** Relay CPU to verify and apply a desired state. */
  applyMs: number
  /** Relay CPU per link handshake (Noise XX), one at a time per relay. */
  handshakeMs: number
  /** Dial latency to a link being up (connect plus handshake round trips), uniform in [min, max]. */
  dialMs: [number, number]
  /** 0: a relay drops a link it no longer plans at once; > 0: that long after its own dials are done (make before break). */
  dropGraceMs: number
  /** Heartbeat interval jitter, ± this fraction. */
  heartbeatJitter: number
}

export const DEFAULT_COSTS: ControlSimCosts = {
  networkMs: [1, 5],
  noticeMs: 0.02,
  pullMs: 0.1,
  generationMs: 2,
  applyMs: 0.5,
  handshakeMs: 1,
  dialMs: [10, 30],
  dropGraceMs: 0,
  heartbeatJitter: 0.1
}

export interface ControlSimMetrics {
  scenario: 'control'
  topology: string
  relays: number
  seed: string
  heartbeatMs: number
  downAfterMs: number
  costs: ControlSimCosts
  plan: {
    /** Links of the plan in force at the end. */
    links: number
    meanDegree: number
    maxDegree: number
    /** Mean RTT of the planned links, ms (from the simulated link RTTs). */
    meanLinkRttMs: number
    /** Wall time of `planLinks` calls, ms. */
    planLinksMs: { first: number, max: number, mean: number, calls: number }
    generations: number
    /** Periodic re-plans (computed only) and how many of them changed the plan. */
    reoptimisations: { runs: number, changed: number, /** Links added plus dropped by each. */ linksChanged: number[] }
  }
  crash: {
    relay: string
    atMs: number
    /** Crash to the controller marking it down and publishing the new generation. */
    detectedMs: number | null
    linksAdded: number
    linksDropped: number
    /** Crash to every live relay running the new generation. */
    appliedMs: number | null
    /** Crash to: every live relay runs the new generation, the links up equal the plan, the live relays connected. */
    convergedMs: number | null
    /** Crash to the controller having heard every live relay report the new generation. */
    reportedMs: number | null
    everPartitioned: boolean
    /** How long the live relays were in more than one piece. */
    partitionedMs: number
  }
  policy: {
    atMs: number
    generation: number
    reached: number
    of: number
    /** Change to each relay running it. */
    applyMs: LatencySummary
    /** Change to the controller hearing each relay report it. */
    reportMs: LatencySummary
  }
  final: { liveRelays: number, linksUp: number, planLinks: number, linksEqualPlan: boolean, connected: boolean }
  run: { wallMs: number, events: number, simulatedMs: number }
}

export function formatControlTable (m: ControlSimMetrics): string {
  const ms = (v: number | null): string => v == null ? 'never' : `${v} ms`
  const lat = (l: LatencySummary): string => `p50 ${l.p50} / p99 ${l.p99} / max ${l.max} ms (${l.count})`
  const rows: Array<[string, string]> = [
    ['scenario', `control plane, ${m.topology}, ${m.relays} relays, seed ${m.seed}`],
    ['heartbeat / down after', `${m.heartbeatMs} ms / ${m.downAfterMs} ms; drops ${m.costs.dropGraceMs > 0 ? `${m.costs.dropGraceMs} ms after dials (make before break)` : 'at once'}`],
    ['plan', `${m.plan.links} links, degree mean ${m.plan.meanDegree} max ${m.plan.maxDegree}, mean link RTT ${m.plan.meanLinkRttMs} ms, ${m.plan.generations} generations`],
    ['planLinks time', `first ${m.plan.planLinksMs.first} ms, mean ${m.plan.planLinksMs.mean} ms, max ${m.plan.planLinksMs.max} ms (${m.plan.planLinksMs.calls} calls)`],
    ['re-optimisations', `${m.plan.reoptimisations.runs} runs, ${m.plan.reoptimisations.changed} changed the plan (links changed: ${m.plan.reoptimisations.linksChanged.join(', ') || 'none'})`],
    ['crash', `${m.crash.relay} at ${m.crash.atMs} ms: +${m.crash.linksAdded} / -${m.crash.linksDropped} links`],
    ['  detected + re-planned', ms(m.crash.detectedMs)],
    ['  all live relays applied', ms(m.crash.appliedMs)],
    ['  converged', `${ms(m.crash.convergedMs)} (new generation everywhere, links up = plan, connected)`],
    ['  reported', ms(m.crash.reportedMs)],
    ['  partitioned', m.crash.everPartitioned ? `yes, for ${m.crash.partitionedMs} ms` : 'never'],
    ['policy change', `generation ${m.policy.generation} at ${m.policy.atMs} ms: reached ${m.policy.reached}/${m.policy.of}`],
    ['  applied', lat(m.policy.applyMs)],
    ['  reported', lat(m.policy.reportMs)],
    ['final', `${m.final.liveRelays} live relays, ${m.final.linksUp} links up, plan ${m.final.planLinks}: ${m.final.linksEqualPlan ? 'equal' : 'DIFFERENT'}, ${m.final.connected ? 'connected' : 'NOT connected'}`],
    ['run', `${m.run.wallMs} ms wall, ${m.run.simulatedMs} ms simulated, ${m.run.events} events`]
  ]
  const w = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')
}
