/**
 * The control plane on simulated time: a controller with the real `planLinks` keeps the
 * mesh's desired state for N relays; the relays heartbeat, one crashes, the controller
 * notices, re-plans and notifies, the relays pull, apply and dial; then an operator
 * changes a policy. Measured: how long until the mesh runs the new plan (and whether
 * the live relays were ever in pieces), and how long a policy change takes to reach
 * every relay. The costs it models are in `ControlSimCosts` (control-report.ts).
 *
 * Timeline: at 0 every relay is registered and linked per the first plan (generation 1);
 * `computed` re-plans every `reoptimiseMs` (default 5 s) from the link RTTs the relays
 * report; at 12 s one relay crashes (star: the hub; otherwise the relay in the middle
 * of the registration order); its links go down at once; the controller marks it down
 * once it has not heard from it for `downAfterMs`; 8 s after the crash the operator
 * changes a policy (a new generation with the same links); the run ends 5 s later.
 *
 * The controller notifies the relays whose links change first, then the rest, one
 * notice after another (`noticeMs` each); a relay pulls the newest desired state
 * (served one pull at a time, `pullMs` each), applies it (`applyMs`), drops the links no
 * longer planned (at once, or `dropGraceMs` after its own dials when that is set:
 * make before break) and dials the new ones it is the lower id of (one handshake at
 * a time, `handshakeMs`, then `dialMs`), and reports its generation with its next
 * heartbeat. Link RTTs: relays sit in 5 regions, 1-4 ms inside one, 20-160 ms between.
 */
import { planLinks, linksOf, planDiff } from '../src/control/topology.js'
import type { LinkHealth, LinkPair, RelayView, TopologySpec } from '../src/control/types.js'
import { EventScheduler } from './scheduler.js'
import { createRng, seedOf } from './prng.js'
import { round, summarize } from './metrics.js'
import { DEFAULT_COSTS } from './control-report.js'
import type { ControlSimCosts, ControlSimMetrics } from './control-report.js'

export type ControlTopology = 'full' | 'star' | 'line' | 'computed'
export const CONTROL_TOPOLOGIES: readonly ControlTopology[] = ['full', 'star', 'line', 'computed']

export interface ControlSimOptions {
  relays: number
  topology: ControlTopology
  seed?: string | number
  heartbeatMs?: number
  downAfterMs?: number
  /** computed: links per relay (default 4). */
  degree?: number
  reoptimiseMs?: number
  costs?: Partial<ControlSimCosts>
}

const CRASH_AT = 12_000
const POLICY_AFTER_CRASH = 8_000
const TAIL = 5_000
const REGIONS = 5

interface SimRelay {
  index: number
  id: string
  owner: { alive: boolean }
  region: number
  /** Generation applied, and the newest one it heard of. */
  gen: number
  heard: number
  pulling: boolean
  /** Relay CPU busy until (handshakes are one at a time). */
  busyUntil: number
  appliedPlan: Set<number>
}

export async function runControlSim (o: ControlSimOptions): Promise<ControlSimMetrics> {
  const wallStart = performance.now()
  const n = o.relays
  const seed = String(o.seed ?? 1)
  const H = o.heartbeatMs ?? 1000
  const T = o.downAfterMs ?? 3 * H
  const costs: ControlSimCosts = { ...DEFAULT_COSTS, ...o.costs }
  const spec: TopologySpec = o.topology === 'computed' ? { kind: 'computed', degree: o.degree } : { kind: o.topology }
  const rng = createRng(`control:${seed}`)
  const sched = new EventScheduler()
  const t0 = sched.now()
  const now = (): number => sched.now() - t0
  const at = (t: number, fn: () => void, owner?: { alive: boolean }): void => { sched.at(t0 + t, fn, owner) }
  const uniform = ([lo, hi]: [number, number]): number => lo + rng.next() * (hi - lo)

  const width = String(n - 1).length
  const relays: SimRelay[] = Array.from({ length: n }, (_, i) => ({
    index: i, id: `relay-${String(i).padStart(Math.max(4, width), '0')}`, owner: { alive: true }, region: rng.int(REGIONS),
    gen: 1, heard: 1, pulling: false, busyUntil: 0, appliedPlan: new Set()
  }))
  const indexOf = new Map(relays.map(r => [r.id, r.index]))
  const regionRtt = Array.from({ length: REGIONS }, () => new Array<number>(REGIONS).fill(0))
  for (let a = 0; a < REGIONS; a++) for (let b = a + 1; b < REGIONS; b++) { const v = 20 + rng.next() * 140; (regionRtt[a] as number[])[b] = v; (regionRtt[b] as number[])[a] = v }
  const key = (i: number, j: number): number => i < j ? i * n + j : j * n + i
  const rttOf = (i: number, j: number): number => {
    const ri = (relays[i] as SimRelay).region
    const rj = (relays[j] as SimRelay).region
    const h = (seedOf(`${seed}:${key(i, j)}`) % 1000) / 1000
    return ri === rj ? 1 + 3 * h : ((regionRtt[ri] as number[])[rj] as number) * (0.9 + 0.2 * h)
  }
  const toKeys = (plan: LinkPair[]): Set<number> => new Set(plan.map(([a, b]) => key(indexOf.get(a) as number, indexOf.get(b) as number)))

  // Controller state.
  const up = new Array<boolean>(n).fill(true)
  const lastSeen = new Array<number>(n).fill(0)
  const reported = new Array<number>(n).fill(1)
  const health = new Map<number, LinkHealth[]>()
  let gen = 1
  let plan: LinkPair[] = []
  let planKeys = new Set<number>()
  let controllerBusy = 0
  const planTimes: number[] = []
  const reopt = { runs: 0, changed: 0, linksChanged: [] as number[] }

  // The links actually up.
  const adj: Array<Set<number>> = relays.map(() => new Set())
  const linksUp = new Set<number>()
  const dialing = new Set<number>()
  const linkUp = (i: number, j: number): void => { linksUp.add(key(i, j)); adj[i]?.add(j); adj[j]?.add(i) }
  const linkDown = (i: number, j: number): void => { linksUp.delete(key(i, j)); adj[i]?.delete(j); adj[j]?.delete(i) }

  const views = (): RelayView[] => relays.map(r => ({ peerId: r.id, up: up[r.index] as boolean, order: r.index }))
  const plan1 = (current?: LinkPair[]): LinkPair[] => {
    const t = performance.now()
    const out = planLinks(views(), spec, { health: [...health.values()].flat(), current })
    planTimes.push(performance.now() - t)
    return out
  }

  // Measurement state.
  const crashed = o.topology === 'star' ? 0 : Math.floor(n / 2)
  const crash = { gen: 0, detectedAt: null as number | null, appliedAt: null as number | null, convergedAt: null as number | null, reportedAt: null as number | null, added: 0, dropped: 0, partitionedSince: null as number | null, partitionedMs: 0, ever: false }
  let crashDone = false
  const policy = { at: CRASH_AT + POLICY_AFTER_CRASH, gen: 0, applied: new Map<number, number>(), reported: new Map<number, number>() }

  const liveConnected = (): boolean => {
    const start = relays.find(r => r.owner.alive)
    if (start == null) return true
    const seen = new Uint8Array(n)
    const stack = [start.index]
    seen[start.index] = 1
    let count = 1
    while (stack.length > 0) {
      const v = stack.pop() as number
      for (const w of adj[v] as Set<number>) if (seen[w] === 0 && (relays[w] as SimRelay).owner.alive) { seen[w] = 1; count++; stack.push(w) }
    }
    return count === relays.filter(r => r.owner.alive).length
  }
  const linksEqualPlan = (): boolean => linksUp.size === planKeys.size && [...planKeys].every(k => linksUp.has(k))

  /** After any change to links or generations: partition time and convergence after the crash. */
  const observe = (): void => {
    if (!crashDone) return
    const connected = liveConnected()
    if (!connected && crash.partitionedSince == null) { crash.partitionedSince = now(); crash.ever = true }
    if (connected && crash.partitionedSince != null) { crash.partitionedMs += now() - crash.partitionedSince; crash.partitionedSince = null }
    const live = relays.filter(r => r.owner.alive)
    if (crash.gen > 0 && crash.appliedAt == null && live.every(r => r.gen >= crash.gen)) crash.appliedAt = now()
    if (crash.gen > 0 && crash.convergedAt == null && connected && live.every(r => r.gen >= crash.gen) && linksEqualPlan()) crash.convergedAt = now()
  }

  // Relays.
  const dial = (r: SimRelay, peer: number): void => {
    const k = key(r.index, peer)
    if (linksUp.has(k) || dialing.has(k)) return
    dialing.add(k)
    const start = Math.max(now(), r.busyUntil)
    r.busyUntil = start + costs.handshakeMs
    at(r.busyUntil + uniform(costs.dialMs), () => {
      dialing.delete(k)
      if ((relays[peer] as SimRelay).owner.alive && r.appliedPlan.has(k)) { linkUp(r.index, peer); observe() }
    }, r.owner)
  }
  const apply = (r: SimRelay, g: number, p: LinkPair[], keys: Set<number>): void => {
    if (g <= r.gen) return
    r.gen = g
    r.appliedPlan = keys
    const want = new Set(linksOf(r.id, p).map(id => indexOf.get(id) as number))
    for (const peer of want) if (r.index < peer) dial(r, peer)
    const unwanted = [...(adj[r.index] as Set<number>)].filter(peer => !want.has(peer))
    if (costs.dropGraceMs <= 0) for (const peer of unwanted) linkDown(r.index, peer)
    else if (unwanted.length > 0) {
      // Make before break: drop once this relay's own dials are done, plus the grace for its peers'.
      at(Math.max(now(), r.busyUntil) + costs.dialMs[1] + costs.dropGraceMs, () => {
        for (const peer of unwanted) if (!r.appliedPlan.has(key(r.index, peer))) linkDown(r.index, peer)
        observe()
      }, r.owner)
    }
    if (policy.gen > 0 && g >= policy.gen && !policy.applied.has(r.index)) policy.applied.set(r.index, now() - policy.at)
    observe()
  }
  const pull = (r: SimRelay): void => {
    if (r.pulling) return
    r.pulling = true
    at(now() + uniform(costs.networkMs), () => {
      controllerBusy = Math.max(controllerBusy, now()) + costs.pullMs
      const g = gen
      const p = plan
      const keys = planKeys
      at(controllerBusy + uniform(costs.networkMs), () => {
        r.pulling = false
        at(now() + costs.applyMs, () => {
          apply(r, g, p, keys)
          if (r.heard > r.gen) pull(r)
        }, r.owner)
      }, r.owner)
    }, r.owner)
  }
  const heartbeat = (r: SimRelay): void => {
    const sentGen = r.gen
    const report: LinkHealth[] = [...(adj[r.index] as Set<number>)].map(peer => ({ from: r.id, to: (relays[peer] as SimRelay).id, rttMs: rttOf(r.index, peer) * (0.95 + 0.1 * rng.next()) }))
    at(now() + uniform(costs.networkMs), () => { receiveHeartbeat(r.index, sentGen, report) })
    at(now() + H * (1 - costs.heartbeatJitter + 2 * costs.heartbeatJitter * rng.next()), () => { heartbeat(r) }, r.owner)
  }

  // Controller.
  const receiveHeartbeat = (i: number, g: number, report: LinkHealth[]): void => {
    const t = now()
    lastSeen[i] = t
    reported[i] = Math.max(reported[i] as number, g)
    for (const h of report) {
      const j = indexOf.get(h.to) as number
      const k = key(i, j)
      const both = (health.get(k) ?? []).filter(x => x.from !== h.from)
      health.set(k, [...both, h])
    }
    if (!(up[i] as boolean)) { up[i] = true; replan('rejoin') }
    if (crash.gen > 0 && crash.reportedAt == null && relays.every(r => !(up[r.index] as boolean) || (reported[r.index] as number) >= crash.gen)) crash.reportedAt = t
    if (policy.gen > 0 && g >= policy.gen && !policy.reported.has(i)) policy.reported.set(i, t - policy.at)
    at(t + T, () => {
      if ((up[i] as boolean) && now() - (lastSeen[i] as number) >= T) {
        up[i] = false
        replan('down')
      }
    })
  }
  const replan = (why: 'down' | 'rejoin' | 'reoptimise' | 'policy'): void => {
    const next = why === 'policy' ? plan : plan1(plan)
    const diff = planDiff(plan, next)
    if (why === 'reoptimise') { reopt.runs++; reopt.linksChanged.push(diff.add.length + diff.drop.length); if (diff.add.length + diff.drop.length > 0) reopt.changed++ }
    if (why !== 'policy' && diff.add.length + diff.drop.length === 0) return
    gen++
    plan = next
    planKeys = toKeys(next)
    if (why === 'down' && crashDone && crash.gen === 0) {
      crash.gen = gen
      crash.detectedAt = now()
      crash.added = diff.add.length
      crash.dropped = diff.drop.length
    }
    if (why === 'policy') policy.gen = gen
    const touched = new Set([...diff.add, ...diff.drop].flat())
    const order = relays.filter(r => up[r.index] as boolean).sort((a, b) => Number(touched.has(b.id)) - Number(touched.has(a.id)) || a.index - b.index)
    const g = gen
    controllerBusy = Math.max(controllerBusy, now()) + costs.generationMs
    for (const r of order) {
      controllerBusy += costs.noticeMs
      at(controllerBusy + uniform(costs.networkMs), () => {
        r.heard = Math.max(r.heard, g)
        if (r.heard > r.gen) pull(r)
      }, r.owner)
    }
    observe()
  }

  // Start: plan generation 1, links up, heartbeats at a random phase.
  plan = plan1()
  planKeys = toKeys(plan)
  for (const r of relays) r.appliedPlan = planKeys
  for (const k of planKeys) linkUp(Math.floor(k / n), k % n)
  for (const r of relays) at(rng.next() * H, () => { heartbeat(r) }, r.owner)
  const reoptimiseMs = o.reoptimiseMs ?? 5000
  const end = policy.at + TAIL
  if (o.topology === 'computed') for (let t = reoptimiseMs; t < end; t += reoptimiseMs) at(t, () => { replan('reoptimise') })
  at(CRASH_AT, () => {
    const r = relays[crashed] as SimRelay
    r.owner.alive = false
    for (const peer of [...(adj[r.index] as Set<number>)]) linkDown(r.index, peer)
    crashDone = true
    observe()
  })
  at(policy.at, () => { replan('policy') })
  await sched.runUntil(t0 + end)
  if (crash.partitionedSince != null) crash.partitionedMs += now() - crash.partitionedSince

  const deg = relays.filter(r => r.owner.alive).map(r => (adj[r.index] as Set<number>).size)
  const live = relays.filter(r => r.owner.alive)
  const rtts = plan.map(([a, b]) => rttOf(indexOf.get(a) as number, indexOf.get(b) as number))
  const sinceCrash = (v: number | null): number | null => v == null ? null : round(v - CRASH_AT, 2)
  return {
    scenario: 'control',
    topology: o.topology,
    relays: n,
    seed,
    heartbeatMs: H,
    downAfterMs: T,
    costs,
    plan: {
      links: plan.length,
      meanDegree: round(deg.reduce((s, d) => s + d, 0) / Math.max(1, deg.length), 2),
      maxDegree: Math.max(0, ...deg),
      meanLinkRttMs: round(rtts.reduce((s, x) => s + x, 0) / Math.max(1, rtts.length), 2),
      planLinksMs: { first: round(planTimes[0] ?? 0, 2), max: round(Math.max(0, ...planTimes), 2), mean: round(planTimes.reduce((s, x) => s + x, 0) / Math.max(1, planTimes.length), 2), calls: planTimes.length },
      generations: gen,
      reoptimisations: reopt
    },
    crash: {
      relay: (relays[crashed] as SimRelay).id,
      atMs: CRASH_AT,
      detectedMs: sinceCrash(crash.detectedAt),
      linksAdded: crash.added,
      linksDropped: crash.dropped,
      appliedMs: sinceCrash(crash.appliedAt),
      convergedMs: sinceCrash(crash.convergedAt),
      reportedMs: sinceCrash(crash.reportedAt),
      everPartitioned: crash.ever,
      partitionedMs: round(crash.partitionedMs, 2)
    },
    policy: {
      atMs: policy.at,
      generation: policy.gen,
      reached: policy.applied.size,
      of: live.length,
      applyMs: summarize([...policy.applied.values()]),
      reportMs: summarize([...policy.reported.values()])
    },
    final: { liveRelays: live.length, linksUp: linksUp.size, planLinks: plan.length, linksEqualPlan: linksEqualPlan(), connected: liveConnected() },
    run: { wallMs: Math.round(performance.now() - wallStart), events: sched.eventsRun, simulatedMs: Math.round(now()) }
  }
}
