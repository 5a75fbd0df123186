/**
 * The control-plane simulation at 50 relays: after a crash the mesh converges (every
 * live relay on the new generation, the links up equal to the plan, connected), a policy
 * change reaches every relay, the same seed gives the same figures, and the command
 * line runs it.
 */
import { describe, it, expect, vi } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { runControlSim } from '../../sims/control-sim.js'
import type { ControlTopology } from '../../sims/control-sim.js'
import type { ControlSimMetrics } from '../../sims/control-report.js'
import { registerSimCommand } from '../../src/cli/sim.command.js'

function expectConverged (m: ControlSimMetrics): void {
  const detail = JSON.stringify({ crash: m.crash, final: m.final })
  expect(m.crash.detectedMs, detail).not.toBeNull()
  expect(m.crash.detectedMs!).toBeLessThanOrEqual(m.downAfterMs + 50)
  expect(m.crash.convergedMs, detail).not.toBeNull()
  expect(m.crash.convergedMs!).toBeGreaterThanOrEqual(m.crash.detectedMs!)
  expect(m.crash.reportedMs, detail).not.toBeNull()
  expect(m.final).toMatchObject({ liveRelays: m.relays - 1, linksEqualPlan: true, connected: true })
  expect(m.final.linksUp).toBe(m.plan.links)
  expect(m.policy.reached).toBe(m.relays - 1)
  expect(m.policy.of).toBe(m.relays - 1)
  expect(m.policy.reportMs.count).toBe(m.relays - 1)
  expect(m.policy.applyMs.max).toBeLessThan(m.policy.reportMs.max)
  expect(m.policy.reportMs.max).toBeLessThan(2 * m.heartbeatMs)
}

const strip = (m: ControlSimMetrics): unknown => ({ ...m, run: { ...m.run, wallMs: 0 }, plan: { ...m.plan, planLinksMs: { ...m.plan.planLinksMs, first: 0, max: 0, mean: 0 } } })

describe('control-plane simulation', () => {
  for (const topology of ['line', 'star', 'computed', 'full'] as ControlTopology[]) {
    it(`${topology}: converges after a crash and a policy change reaches every relay`, async () => {
      const m = await runControlSim({ relays: 50, topology, seed: 3 })
      expectConverged(m)
      if (topology === 'line' || topology === 'star') {
        // The crashed relay split the live ones until the re-plan's links came up.
        expect(m.crash.everPartitioned).toBe(true)
        expect(m.crash.partitionedMs).toBeGreaterThanOrEqual(m.crash.detectedMs!)
      }
      if (topology === 'full') expect(m.crash.everPartitioned).toBe(false)
      if (topology === 'computed') expect(m.plan.reoptimisations.runs).toBeGreaterThan(0)
    })
  }

  it('drops links only after the new ones are up when given a grace (make before break)', async () => {
    const m = await runControlSim({ relays: 50, topology: 'computed', seed: 3, costs: { dropGraceMs: 100 } })
    expectConverged(m)
  })

  it('gives the same figures for the same seed and different ones for another', async () => {
    const a = await runControlSim({ relays: 30, topology: 'computed', seed: 5 })
    const b = await runControlSim({ relays: 30, topology: 'computed', seed: 5 })
    const c = await runControlSim({ relays: 30, topology: 'computed', seed: 6 })
    expect(strip(a)).toEqual(strip(b))
    expect(strip(a)).not.toEqual(strip(c))
  })

  it('runs from the command line and writes metrics.json', async () => {
    const out = await mkdtemp(join(tmpdir(), 'slim-control-sim-'))
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const program = new Command()
      program.exitOverride()
      registerSimCommand(program)
      await program.parseAsync(['node', 'slim-mesh', 'sim', 'control', '--relays', '20', '--topology', 'line', '--heartbeat', '500ms', '--down-after', '1500ms', '--seed', '2', '--out', out])
      const printed = log.mock.calls.map(c => String(c[0])).join('\n')
      expect(printed).toMatch(/converged\s+\d/)
      const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as ControlSimMetrics
      expect(m).toMatchObject({ scenario: 'control', topology: 'line', relays: 20, heartbeatMs: 500, downAfterMs: 1500 })
      expectConverged(m)
    } finally {
      log.mockRestore()
      await rm(out, { recursive: true, force: true })
    }
  })
})
