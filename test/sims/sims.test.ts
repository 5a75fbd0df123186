/**
 * Simulation scenarios (sims/): every topology and every fault at a small size on the
 * simulated engine, crashes on the real engine, reproducibility, and the command line.
 * Each run asserts what the mesh guarantees: every subscriber gets every sequenced
 * message once and in order, and every request is answered.
 */
import { describe, it, expect, vi } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { runScenario } from '../../sims/scenario.js'
import type { ScenarioOptions } from '../../sims/scenario.js'
import type { Metrics } from '../../sims/metrics.js'
import { TOPOLOGIES, buildTopology, isConnected } from '../../sims/topologies.js'
import { createRng } from '../../sims/prng.js'
import { EventScheduler } from '../../sims/scheduler.js'
import { registerSimCommand } from '../../src/cli/sim.command.js'

const small = (o: Partial<ScenarioOptions> & Pick<ScenarioOptions, 'topology'>): ScenarioOptions =>
  ({ relays: 5, agents: 20, engine: 'simulated', seed: 7, durationMs: 3000, ...o })

function expectClean (m: Metrics): void {
  const detail = JSON.stringify({ multicast: m.multicast, anycast: { ...m.anycast, rttMs: undefined }, fault: m.fault })
  expect(m.deliveryRatio, detail).toBe(1)
  expect(m.duplicates, detail).toBe(0)
  expect(m.orderViolations, detail).toBe(0)
  for (const v of Object.values(m.multicast.orderViolationsByName)) expect(v).toBe(0)
  expect(m.multicast.publishFailed, detail).toBe(0)
  expect(m.anycast.failed, detail).toBe(0)
  expect(m.multicast.sequenced).toBeGreaterThan(0)
  expect(m.multicast.delivered).toBe(m.multicast.expected)
}

/** Everything but the wall-clock and memory figures, which no seed can fix. */
function deterministic (m: Metrics): unknown {
  const { run, memoryPerRelayKiB, ...rest } = m
  return { ...rest, simulatedMs: run.simulatedMs, events: run.events }
}

describe('topologies', () => {
  it('builds a connected random regular graph with the asked degree, the same for the same seed', () => {
    const t = buildTopology('random', 50, createRng(3), { degree: 4 })
    const deg = new Array<number>(50).fill(0)
    for (const [a, b] of t.edges) { deg[a] = (deg[a] as number) + 1; deg[b] = (deg[b] as number) + 1 }
    expect(deg.every(d => d === 4)).toBe(true)
    expect(isConnected(50, t.edges)).toBe(true)
    expect(buildTopology('random', 50, createRng(3), { degree: 4 }).edges).toEqual(t.edges)
  })

  it('joins two meshes by exactly one link', () => {
    const t = buildTopology('two-meshes', 6, createRng(1))
    const cross = t.edges.filter(([a, b]) => (a < 3) !== (b < 3))
    expect(cross).toEqual([[2, 3]])
    expect(t.edges).toHaveLength(3 + 3 + 1)
  })
})

describe('EventScheduler', () => {
  it('runs events in time order, ties in the order they were set, and drops a dead owner\'s timers', async () => {
    const s = new EventScheduler(1000)
    const seen: string[] = []
    const owner = { alive: true }
    const clock = s.clock(owner)
    s.at(1005, () => seen.push('b'))
    s.at(1001, () => seen.push('a'))
    s.at(1005, () => seen.push('c'))
    clock.setTimeout(() => seen.push('dead'), 3)
    const cancelled = clock.setTimeout(() => seen.push('cancelled'), 1)
    clock.clearTimeout(cancelled)
    owner.alive = false
    // A promise continuation at t=1001 sets a timer for the same instant.
    s.at(1001, () => { void Promise.resolve().then(() => { s.at(s.now(), () => seen.push('same instant')) }) })
    await s.runUntil(2000)
    expect(seen).toEqual(['a', 'same instant', 'b', 'c'])
    expect(s.now()).toBe(2000)
  })
})

describe('simulated engine: every topology', () => {
  it.each(TOPOLOGIES.map(t => [t]))('%s: every message delivered once, in order; every request answered', async (topology) => {
    const m = await runScenario(small({ topology, relays: topology === 'two-meshes' ? 6 : 5 }))
    expectClean(m)
    expect(m.relays).toBe(topology === 'two-meshes' ? 6 : 5)
    expect(m.engine).toBe('simulated')
    expect(m.anycast.answered).toBe(m.anycast.requests)
    expect(m.churn.leaves).toBeGreaterThan(0)
    expect(m.convergenceMs.initial).not.toBeNull()
  })
})

describe('simulated engine: faults', () => {
  it('crash: a relay crashed in the middle of multicast traffic restarts on its store and every subscriber ends with every message, none twice', async () => {
    const m = await runScenario(small({ topology: 'ring', fault: 'crash' }))
    expectClean(m)
    expect(m.fault?.relays).toHaveLength(1)
    expect(m.fault?.recovered).toBe(true)
    expect(m.fault?.recoveryMs).not.toBeNull()
    expect(m.convergenceMs.afterFault).not.toBeNull()
  })

  it.each([['ring', 5], ['line', 3]] as const)('crash of the sequencer itself on a %s: nobody else claims its names, publishes wait for it, and no order is violated', async (topology, relays) => {
    const m = await runScenario(small({ topology, relays, fault: 'crash', crashTarget: 'sequencer' }))
    expectClean(m)
    expect(m.fault?.recovered).toBe(true)
  })

  it('partition: the cut-off half catches up after the partition heals', async () => {
    const m = await runScenario(small({ topology: 'random', relays: 8, agents: 32, fault: 'partition' }))
    expectClean(m)
    expect(m.fault?.recovered).toBe(true)
    expect(m.fault?.relays.length).toBeGreaterThan(0)
    // Subscribers on the cut-off side had to wait for the heal.
    expect(m.latencyMs.max).toBeGreaterThan(500)
  })

  it('lossy: with 5% loss on every link, lost gossip is fetched from the archive and delivery stays complete', async () => {
    const m = await runScenario(small({ topology: 'two-meshes', relays: 6, agents: 24, fault: 'lossy' }))
    expectClean(m)
    expect((m.traffic?.gossipLost ?? 0) + (m.traffic?.retransmissions ?? 0)).toBeGreaterThan(0)
    expect(m.fault?.recovered).toBe(true)
  })

  it('slow-consumer: the relay paces a subscriber that reads too slowly (never overruns it), and it still gets everything once', async () => {
    const m = await runScenario(small({ topology: 'star', fault: 'slow-consumer', durationMs: 6000, workload: { publishRate: 40 } }))
    expectClean(m)
    // Its queue never reached the cut-off: the relay held back and caught it up from the archive.
    expect(m.fault?.cutOffs).toBe(0)
    // Others are not held back by it.
    expect(m.latencyMs.p50).toBeLessThan(50)
  })
})

describe('simulated engine: reproducible', () => {
  it('the same seed gives the same metrics; another seed gives others', async () => {
    const opts = small({ topology: 'random', relays: 8, agents: 30, fault: 'crash', seed: 'repro' })
    const a = await runScenario(opts)
    const b = await runScenario(opts)
    expect(deterministic(b)).toEqual(deterministic(a))
    const c = await runScenario({ ...opts, seed: 'other' })
    expect(deterministic(c)).not.toEqual(deterministic(a))
  })
})

describe('real engine', () => {
  it.each([['line', 3], ['star', 4]] as const)('%s of real relays with a crash: every subscriber ends with every sequenced message, none twice', async (topology, relays) => {
    const m = await runScenario({ topology, relays, agents: 10, engine: 'real', fault: 'crash', seed: 5, durationMs: 3000, workload: { requestRate: 4, churnRate: 0.5 } })
    expectClean(m)
    expect(m.engine).toBe('real')
    expect(m.fault?.recovered).toBe(true)
  }, 60_000)

  it('refuses faults it cannot inject, saying which engine can', async () => {
    await expect(runScenario({ topology: 'line', relays: 2, agents: 8, engine: 'real', fault: 'lossy' })).rejects.toMatchObject({ name: 'UnsupportedFaultError', message: expect.stringContaining('--engine simulated') })
  })
})

describe('slim-mesh sim', () => {
  it('prints the metrics table and writes metrics.json and plot.svg to --out', async () => {
    const out = await mkdtemp(join(tmpdir(), 'slim-sim-'))
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const program = new Command()
      program.exitOverride()
      registerSimCommand(program)
      await program.parseAsync(['node', 'slim-mesh', 'sim', 'line', '--relays', '3', '--agents', '12', '--duration', '2s', '--fault', 'crash', '--seed', '9', '--out', out])
      const printed = log.mock.calls.map(c => String(c[0])).join('\n')
      expect(printed).toMatch(/delivery ratio\s+1/)
      const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as Metrics
      expect(m).toMatchObject({ engine: 'simulated', relays: 3, agents: 12, deliveryRatio: 1, duplicates: 0, orderViolations: 0 })
      expect(Object.keys(m.latencyMs).sort()).toEqual(['count', 'max', 'p50', 'p99'])
      expect(typeof m.controlPerDelivered).toBe('number')
      expect(m.memoryPerRelayKiB).toBeGreaterThanOrEqual(0)
      const svg = await readFile(join(out, 'plot.svg'), 'utf8')
      expect(svg.startsWith('<svg')).toBe(true)
      expect(svg).toContain('<polyline')
    } finally {
      log.mockRestore()
      await rm(out, { recursive: true, force: true })
    }
  })

  it('rejects an unknown topology', async () => {
    const program = new Command()
    program.exitOverride().configureOutput({ writeErr: () => {} })
    registerSimCommand(program)
    await expect(program.parseAsync(['node', 'slim-mesh', 'sim', 'torus'])).rejects.toThrow(/torus/)
  })
})
