/**
 * One scenario: a topology, a workload, perhaps a fault, run on an engine; returns the
 * metrics. The same code drives both engines.
 *
 * Phases: build and link the relays and attach the agents; wait for routes to
 * converge; the channel owners and the first worker subscribe (their relays become the
 * sequencers) and the claims spread; everyone else subscribes; traffic runs for
 * `durationMs` with the fault in its middle; then the run drains until every
 * subscriber has caught up and every publish and request is settled (or a deadline).
 *
 * Faults, and where they strike:
 * - crash: a relay that sequences nothing and whose loss does not cut the mesh (the
 *   one with most agents) crashes at 30% of the traffic time and restarts on its store
 *   one second later (`crashTarget: 'sequencer'` crashes the first channel's sequencer);
 * - partition: the links between the first and second half of the relays are cut at 30%
 *   and restored at 60% (owners and publishers sit in the first half);
 * - lossy: every link gets 20 ms more latency, 10 ms jitter and 5% loss from 20% to 70%;
 * - slow-consumer: one subscriber reads at a third of its channel's rate throughout.
 */
import { createRng } from './prng.js'
import { buildTopology, isConnected } from './topologies.js'
import type { Topology, TopologyKind } from './topologies.js'
import { planWorkload, encodePayload, decodePayload, messageIdFor } from './workload.js'
import type { WorkloadOptions, WorkloadPlan } from './workload.js'
import { Recorder, round } from './metrics.js'
import type { FaultReport, Metrics } from './metrics.js'
import { SimulatedEngine } from './simulated-engine.js'
import type { SimulatedEngineOptions } from './simulated-engine.js'
import { UnsupportedFaultError } from './engine.js'
import type { Engine, EngineAgent, EngineKind, FaultKind } from './engine.js'

export interface ScenarioOptions {
  topology: TopologyKind
  relays: number
  agents: number
  engine: EngineKind
  fault?: FaultKind
  seed?: string | number
  /** Traffic time (ms); default 10 s simulated, 4 s real. */
  durationMs?: number
  /** Longest the run may take to drain after the traffic (ms); default 60 s simulated, 20 s real. */
  drainMs?: number
  crashTarget?: 'member' | 'sequencer'
  /** Degree of the random topology. */
  degree?: number
  workload?: Partial<Omit<WorkloadOptions, 'relays' | 'agents' | 'durationMs' | 'slowConsumer'>>
  simulated?: Partial<Omit<SimulatedEngineOptions, 'seed'>>
  /** A ready engine (tests); otherwise built from `engine`. */
  engineFactory?: () => Promise<Engine>
  onProgress?: (fraction: number, phase: string) => void
}

export async function createEngine (kind: EngineKind, seed: string | number, simulated: Partial<Omit<SimulatedEngineOptions, 'seed'>> = {}): Promise<Engine> {
  if (kind === 'simulated') return new SimulatedEngine({ seed, ...simulated })
  const { RealEngine } = await import('./real-engine.js')
  return new RealEngine()
}

export async function runScenario (options: ScenarioOptions): Promise<Metrics> {
  const wall0 = performance.now()
  const seed = String(options.seed ?? 1)
  const real = options.engine === 'real'
  const durationMs = options.durationMs ?? (real ? 4000 : 10_000)
  const drainMs = options.drainMs ?? (real ? 20_000 : 60_000)
  const step = real ? 20 : 10
  const rng = createRng(seed)
  const topology = buildTopology(options.topology, options.relays, rng.fork('topology'), { degree: options.degree })
  const plan = planWorkload({ ...options.workload, relays: options.relays, agents: options.agents, durationMs, slowConsumer: options.fault === 'slow-consumer' }, rng.fork('workload'))
  const idRng = rng.fork('ids')
  const progress = options.onProgress ?? (() => {})
  if (options.fault === 'partition' && options.relays < 2) throw new Error('a partition needs at least 2 relays')
  if (options.fault === 'crash' && options.relays < 2) throw new Error('a crash needs at least 2 relays (one to crash, one to keep the mesh)')

  const engine = options.engineFactory != null ? await options.engineFactory() : await createEngine(options.engine, seed, options.simulated)
  if (options.fault != null && !engine.faults.includes(options.fault)) {
    await engine.stop()
    throw new UnsupportedFaultError(`the ${engine.kind} engine cannot inject "${options.fault}" (it can: ${engine.faults.join(', ')}); run it with --engine simulated`)
  }
  const heap0 = heapUsed()
  const recorder = new Recorder(plan.channels, Math.max(50, Math.round(durationMs / 100)))
  let report: FaultReport | null = null
  try {
    progress(0, 'building')
    const agents = await engine.start({ topology, agents: plan.agents, onProgress: (d, t) => { progress(0.05 * d / t, 'building') } })
    const t0 = engine.now()
    const fine = real ? 10 : 1
    const converged = await engine.runUntilTrue(() => engine.routesConverged(), t0 + 60_000, fine)
    const initial = converged ? round(engine.now() - t0) : null
    progress(0.06, 'subscribing')

    // Owners first: their relays claim the names.
    const firstWorker = plan.agents.find(a => a.role === 'worker')
    await settle(engine, plan.agents.filter(a => a.role === 'owner' || a === firstWorker).map(async a => { await subscribeAgent(a.index) }), step)
    await engine.runUntilTrue(() => engine.claimsKnown([...plan.channels, plan.service]), engine.now() + 30_000, step)
    await settle(engine, plan.agents.filter(a => (a.role === 'subscriber' || a.role === 'worker') && a !== firstWorker).map(async a => { await subscribeAgent(a.index) }), step)
    await engine.runUntilTrue(() => engine.routesConverged(), engine.now() + 30_000, step)
    const memoryPerRelayKiB = Math.max(0, Math.round((heapUsed() - heap0) / 1024 / options.relays))

    // Traffic.
    const T0 = engine.now()
    recorder.origin = T0
    const end = T0 + durationMs
    const deadline = end + drainMs
    let inflight = 0
    let afterFault: number | null = null
    for (const a of plan.actions) engine.schedule(T0 + a.at, () => { act(a) })
    report = scheduleFault(T0)
    for (let t = T0; t < end;) {
      t = Math.min(end, t + Math.max(step, durationMs / 200))
      await engine.runUntil(t)
      progress(0.1 + 0.8 * (t - T0) / durationMs, 'traffic')
    }
    progress(0.9, 'draining')
    await engine.runUntilTrue(() => inflight === 0 && recorder.pendingRequests <= 0 && recorder.allCaughtUp(), deadline, step * 5)
    const summary = recorder.summary()
    if (report != null) {
      report.recovered = summary.deliveryRatio === 1 && summary.duplicates === 0 && summary.orderViolations === 0 && summary.multicast.publishFailed === 0
      report.recoveryMs = report.kind === 'crash' || report.kind === 'partition' ? recorder.recoveryMs() : null
      const cut = engine.cutOffs()
      if (report.kind === 'slow-consumer' && cut != null) report.cutOffs = cut
    }
    const traffic = engine.traffic()
    const deliveries = summary.multicast.delivered + summary.anycast.answered
    const mem = process.memoryUsage()
    const metrics: Metrics = {
      engine: engine.kind,
      topology: options.topology,
      relays: options.relays,
      agents: options.agents,
      seed,
      durationMs,
      deliveryRatio: summary.deliveryRatio,
      duplicates: summary.duplicates,
      orderViolations: summary.orderViolations,
      latencyMs: summary.latencyMs,
      multicast: summary.multicast,
      anycast: summary.anycast,
      churn: summary.churn,
      controlPerDelivered: traffic == null || deliveries === 0 ? null : round((traffic.announcements + traffic.routedAcks + traffic.fetchRequests + traffic.fetchReplies) / deliveries),
      traffic: traffic == null ? null : { ...traffic },
      convergenceMs: { initial, afterFault },
      fault: report,
      memoryPerRelayKiB,
      run: {
        wallMs: Math.round(performance.now() - wall0),
        heapUsedMiB: Math.round(mem.heapUsed / 1048576),
        rssMiB: Math.round(mem.rss / 1048576),
        ...(engine instanceof SimulatedEngine ? { simulatedMs: round(engine.now()), events: engine.scheduler.eventsRun } : {})
      },
      series: summary.series
    }
    progress(1, 'done')
    return metrics

    // ---- the workload, the same for both engines ----

    async function subscribeAgent (i: number): Promise<void> {
      const spec = plan.agents[i]
      const agent = agents[i]
      if (spec == null || agent == null) return
      if (spec.role === 'worker') {
        await agent.subscribe(plan.service, m => {
          const { msg } = decodePayload(m.payload)
          recorder.executed(msg)
          m.respond?.(m.payload).catch(() => {})
        })
        return
      }
      const ch = spec.channel ?? 0
      const start = await agent.subscribe(plan.channels[ch] as string, m => {
        if (m.seq == null) return
        const { msg, sentAt } = decodePayload(m.payload)
        recorder.delivered(i, ch, m.seq, msg, sentAt, m.at)
      })
      recorder.subscribed(i, ch, start)
    }

    function act (a: WorkloadPlan['actions'][number]): void {
      const agent = agents[a.agent] as EngineAgent
      switch (a.kind) {
        case 'publish': {
          const payload = encodePayload(a.msg, engine.now(), plan.payloadBytes)
          const id = messageIdFor(a.msg, idRng)
          const name = plan.channels[a.channel] as string
          recorder.published++
          inflight++
          const attempt = (): void => {
            agent.publish(name, payload, 'multicast', id).then(({ seq }) => {
              inflight--
              recorder.acked(a.channel, seq, a.msg)
            }, () => {
              if (engine.now() >= deadline) { inflight--; recorder.publishFailed++; return }
              recorder.publishRetries++
              engine.schedule(engine.now() + 250, attempt)
            })
          }
          attempt()
          break
        }
        case 'request': {
          const payload = encodePayload(a.msg, engine.now(), plan.payloadBytes)
          recorder.requestSent(a.msg, engine.now())
          const attempt = (): void => {
            agent.request(plan.service, payload, real ? 5000 : 2000).then(reply => { recorder.answeredRequest(a.msg, reply.at) }, () => {
              if (engine.now() >= deadline) { recorder.requestFailed++; return }
              recorder.requestRetries++
              engine.schedule(engine.now() + 250, attempt)
            })
          }
          attempt()
          break
        }
        case 'leave':
          recorder.leaves++
          agent.leave().catch(() => {})
          break
        case 'rejoin':
          recorder.rejoins++
          agent.rejoin().catch(() => {})
          break
      }
    }

    function scheduleFault (T0: number): FaultReport | null {
      const fault = options.fault
      if (fault == null) return null
      const r: FaultReport = { kind: fault, relays: [], startMs: 0, endMs: 0, recovered: false, recoveryMs: null }
      const at = (frac: number): number => T0 + Math.round(durationMs * frac)
      const afterEnd = (): void => {
        recorder.markRecovery(engine.now())
        const from = engine.now()
        let checks = 0
        // Every engine ms at first, then less often: a check costs relays x relays lookups.
        const check = (): void => {
          if (engine.routesConverged()) { afterFault = round(engine.now() - from); return }
          const every = real ? 10 : (++checks < 100 ? 1 : 100)
          if (engine.now() < deadline) engine.schedule(engine.now() + every, check)
        }
        check()
      }
      switch (fault) {
        case 'crash': {
          const target = crashTarget(topology, plan, options.crashTarget ?? 'member', engine)
          r.relays = [target]
          r.startMs = Math.round(durationMs * 0.3)
          r.endMs = r.startMs + Math.min(1000, Math.round(durationMs * 0.3))
          engine.schedule(T0 + r.startMs, () => { void engine.crash(target) })
          engine.schedule(T0 + r.endMs, () => { void engine.restart(target).then(afterEnd) })
          break
        }
        case 'partition': {
          const half = Math.ceil(options.relays / 2)
          const side = new Set(Array.from({ length: options.relays - half }, (_, k) => half + k))
          r.relays = [...side]
          r.startMs = Math.round(durationMs * 0.3)
          r.endMs = Math.round(durationMs * 0.6)
          engine.schedule(at(0.3), () => { void engine.partition(side) })
          engine.schedule(at(0.6), () => { void engine.heal().then(afterEnd) })
          break
        }
        case 'lossy':
          r.startMs = Math.round(durationMs * 0.2)
          r.endMs = Math.round(durationMs * 0.7)
          engine.schedule(at(0.2), () => { engine.degradeLinks({ latencyMs: 20, jitterMs: 10, loss: 0.05 }) })
          engine.schedule(at(0.7), () => { engine.degradeLinks(undefined); afterEnd() })
          break
        case 'slow-consumer':
          r.relays = plan.agents.filter(a => a.slowMs != null).map(a => a.relay)
          r.endMs = durationMs
          break
      }
      return r
    }
  } finally {
    await engine.stop()
  }
}

/** Waits (letting engine time pass) until every promise has settled. */
async function settle (engine: Engine, promises: Array<Promise<void>>, step: number): Promise<void> {
  let left = promises.length
  const failures: unknown[] = []
  for (const p of promises) p.then(() => { left-- }, (err: unknown) => { left--; failures.push(err) })
  await engine.runUntilTrue(() => left === 0, engine.now() + 120_000, step)
  if (left > 0) throw new Error(`${left} of ${promises.length} subscriptions did not complete in 120 s of engine time`)
  if (failures.length > 0) throw new Error(`${failures.length} subscriptions failed: ${String((failures[0] as Error).message)}`)
}

/**
 * The relay to crash: for 'member', one that sequences nothing and whose loss leaves
 * the others connected, with the most agents; for 'sequencer', the first channel's.
 */
function crashTarget (topology: Topology, plan: WorkloadPlan, kind: 'member' | 'sequencer', engine: Engine): number {
  const seqs = new Set<number>()
  for (const name of [...plan.channels, plan.service]) {
    const s = engine.sequencerOf(name)
    if (s != null) seqs.add(s)
  }
  if (kind === 'sequencer') {
    const s = engine.sequencerOf(plan.channels[0] as string)
    if (s == null) throw new Error('no sequencer known for the first channel')
    return s
  }
  const load = new Array<number>(topology.relays).fill(0)
  for (const a of plan.agents) load[a.relay] = (load[a.relay] as number) + 1
  const order = Array.from({ length: topology.relays }, (_, i) => i).sort((x, y) => (load[y] as number) - (load[x] as number) || x - y)
  // Not a publisher's relay either: a relay that has just restarted has heard no routes yet
  // and claims any name a resent publish asks it to sequence (see the notes in the README
  // of sims/), which would number messages twice.
  const publishers = new Set(plan.agents.filter(a => a.role === 'publisher').map(a => a.relay))
  for (const v of order) {
    if (seqs.has(v) || publishers.has(v)) continue
    const rest = topology.edges.filter(([a, b]) => a !== v && b !== v).map(([a, b]) => [a > v ? a - 1 : a, b > v ? b - 1 : b] as [number, number])
    if (isConnected(topology.relays - 1, rest)) return v
  }
  throw new Error('no relay can crash without cutting the mesh or taking a sequencer down')
}

function heapUsed (): number {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  return process.memoryUsage().heapUsed
}
