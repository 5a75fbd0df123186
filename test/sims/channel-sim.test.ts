/**
 * The MLS channel simulation on the real relays and sequencers, small: members join,
 * leave and commit at once through a sequencer crash and a partition with no epoch
 * fork, every member ending at the same epoch and state; racing commits are nacked by
 * the sequencer and retried (no nack would mean two commits for one epoch, which the
 * members would refuse or fork on); the fork check itself catches two states at one
 * epoch; the calibration's fit; and the command line.
 */
import { describe, it, expect, beforeAll, vi } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { calibrate, COST_QUANTITIES, fit, modelled } from '../../sims/channel-calibration.js'
import type { CalibrationPoint, ChannelCalibration, CostQuantity } from '../../sims/channel-calibration.js'
import { ChannelRecorder } from '../../sims/channel-recorder.js'
import { runChannelSim } from '../../sims/channel-sim.js'
import type { ChannelSimMetrics } from '../../sims/channel-report.js'
import { registerSimCommand } from '../../src/cli/sim.command.js'

/**
 * Fixed MLS costs for the simulation runs, so that they are the same on every machine
 * (a measured calibration follows the machine's load): figures of the order ts-mls
 * gives on a 2-core machine.
 */
function fixedCalibration (): ChannelCalibration {
  const ms: Partial<Record<CostQuantity, (n: number) => number>> = {
    addMs: n => 3 + 1.5 * Math.log2(n), updateMs: n => 3 + 1.2 * Math.log2(n), removeMs: n => 3 + 1.2 * Math.log2(n),
    applyMs: n => 2 + 1 * Math.log2(n), joinMs: n => 3 + 0.5 * n, keyPackageMs: () => 0.8, sealMs: () => 0.3, openMs: () => 0.5,
    commitBytes: n => 400 + 60 * Math.log2(n), addCommitBytes: () => 550, welcomeBytes: n => 680 + 260 * n, keyPackageBytes: () => 360
  }
  const sizes = [2, 8, 32]
  const points = sizes.map(n => Object.fromEntries([['n', n], ...COST_QUANTITIES.map(q => [q, (ms[q] as (n: number) => number)(n)])]) as CalibrationPoint)
  const fits = Object.fromEntries(COST_QUANTITIES.map(q => [q, fit(sizes, points.map(p => p[q]), q.endsWith('Bytes') ? 'bytes' : 'ms')])) as ChannelCalibration['fits']
  return { suite: 'fixed', sizes, points, fits, wallMs: 0 }
}

const cal = fixedCalibration()
let measured: ChannelCalibration

beforeAll(async () => {
  measured = await calibrate([2, 4, 8])
}, 30_000)

/** Nothing lost, nothing refused, every commit applied by every member of its epoch. */
function expectClean (m: ChannelSimMetrics): void {
  expect(m.forks, JSON.stringify(m.forkSamples)).toBe(0)
  expect(m.converged).toBe(true)
  expect(m.messages).toMatchObject({ gaps: 0, notCaughtUp: 0, commitsRefused: 0, ownCommitsLost: 0 })
  expect(m.commits.notAppliedByAll).toBe(0)
  // A member added whose Welcome was lost (a dead leaf) is the only join that may not complete.
  expect(m.joins.joined + m.joins.deadLeaves).toBe(m.joins.invited)
}

describe('MLS channel simulation', () => {
  it('runs joins, leaves and racing commits through a sequencer crash and a partition with no fork', async () => {
    const m = await runChannelSim({ relays: 10, members: 40, channels: 2, seed: 1, fault: 'both', durationMs: 6000, calibration: cal })
    expectClean(m)
    // Every member of both channels joined (owner and admins first), some left.
    expect(m.epochs.map(e => e.members).reduce((a, b) => a + b, 0)).toBe(40 - m.leaves.left - m.joins.deadLeaves)
    expect(m.leaves.left).toBeGreaterThan(0)
    expect(m.epochs.every(e => e.epoch > 20)).toBe(true)
    // Commits: latency measured, racing ones nacked and retried.
    expect(m.commits.acked).toBeGreaterThan(40)
    expect(m.commits.latencyMs.count).toBe(m.commits.acked)
    expect(m.commits.latencyMs.p50).toBeGreaterThan(0)
    expect(m.commits.latencyMs.p99).toBeGreaterThanOrEqual(m.commits.latencyMs.p50)
    expect(m.commits.nacks).toBeGreaterThan(0)
    expect(m.commits.nackRate).toBeGreaterThan(0)
    // Welcomes: sized by the model, timed by the run.
    expect(m.joins.timeToJoinedMs.p50).toBeGreaterThan(0)
    expect(m.joins.welcomeBytes.max).toBeGreaterThan(0)
    expect(m.model.modelled.welcomeBytes).toBe(Math.round(modelled(cal, 'welcomeBytes', m.model.modelled.channelSize)))
    // The faults happened and the crashed sequencer's channel took commits again.
    const crash = m.faults.find(f => f.kind === 'crash')
    const cut = m.faults.find(f => f.kind === 'partition')
    expect(crash?.channels).toContain('sim/mls/ch0')
    expect(crash?.commitsInFlight).toBeGreaterThan(0)
    expect(crash?.unavailableMs).not.toBeNull()
    expect(cut?.relays).toEqual([5, 6, 7, 8, 9])
    expect(m.messages.read).toBeGreaterThan(0)
  }, 60_000)

  it('nacks commits that race for one epoch, and the losers retry on the new epoch', async () => {
    // Bursts of 8 members updating at the same instant every 300 ms, nothing else.
    const m = await runChannelSim({ relays: 6, members: 20, channels: 1, seed: 2, durationMs: 3000, calibration: cal, burstSize: 8, burstEveryMs: 300, updateRate: 0, leaveRate: 0, messageRate: 0, lateJoinFraction: 0 })
    expectClean(m)
    const u = m.commits.byKind.update
    expect(u.requested).toBeGreaterThanOrEqual(8 * 9)
    // Each burst's commits are all built on one epoch: the sequencer takes one and nacks the rest.
    expect(u.nacks).toBeGreaterThanOrEqual(u.requested / 2)
    expect(m.commits.retries.max).toBeGreaterThanOrEqual(3)
    expect(u.acked + u.failed).toBe(u.requested)
    expect(u.acked).toBeGreaterThan(u.requested / 2)
  }, 60_000)

  it('gives the same figures for the same seed, and others for another seed', async () => {
    const small = { relays: 6, members: 16, channels: 1, durationMs: 2000, calibration: cal, fault: 'crash' as const }
    const strip = (m: ChannelSimMetrics): unknown => ({ ...m, run: { ...m.run, wallMs: 0, heapUsedMiB: 0 } })
    const a = await runChannelSim({ ...small, seed: 7 })
    const b = await runChannelSim({ ...small, seed: 7 })
    const c = await runChannelSim({ ...small, seed: 8 })
    expect(strip(a)).toEqual(strip(b))
    expect(strip(c)).not.toEqual(strip(a))
  }, 60_000)

  it('the fork check catches two members holding different states at one epoch', () => {
    const r = new ChannelRecorder()
    const t = r.request('ch', 'update', 'a', 0)
    r.applied('ch', 1, 'aaaa', 'a', 1, t, 2, true)
    r.applied('ch', 1, 'aaaa', 'b', 2, t, 2, true)
    expect(r.forks).toEqual([])
    r.applied('ch', 2, 'bbbb', 'a', 3, t, 2, true)
    r.applied('ch', 2, 'cccc', 'b', 3, t, 2, true)
    expect(r.forks).toEqual([{ channel: 'ch', epoch: 2, member: 'b', expected: 'bbbb', got: 'cccc', at: 3 }])
  })

  it('fits y = a + b·log2 n + c·n with no negative term, and measured ts-mls at each size', () => {
    const ns = [2, 8, 32, 64]
    const f = fit(ns, ns.map(n => 1 + 2 * Math.log2(n) + 0.5 * n), 'ms')
    expect([f.a, f.b, f.c].map(x => Math.round(x * 1000) / 1000)).toEqual([1, 2, 0.5])
    expect(f.formula).toBe('1 + 2·log2 n + 0.5·n ms')
    // Measured on ts-mls: a Welcome carries the ratchet tree, so it grows with the group.
    const w = measured.points.map(p => p.welcomeBytes)
    expect(w[2]).toBeGreaterThan((w[0] as number) + 4 * 200)
    expect(measured.points.map(p => p.n)).toEqual([2, 4, 8])
    expect(measured.points.every(p => p.addMs > 0 && p.applyMs > 0 && p.joinMs > 0)).toBe(true)
    expect(measured.fits.welcomeBytes.maxRelError).toBeLessThan(0.1)
  })

  it('runs from the command line and writes metrics.json', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sim-channels-'))
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const program = new Command().exitOverride()
      registerSimCommand(program)
      await program.parseAsync(['node', 'slim-mesh', 'sim', 'channels', '--relays', '6', '--members', '16', '--channels', '1', '--duration', '2s', '--calibrate', '2,4', '--out', out])
      const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as ChannelSimMetrics
      expect(m).toMatchObject({ scenario: 'channels', relays: 6, members: 16, channels: 1, fault: 'none', forks: 0, converged: true })
      expect(m.model.calibration.sizes).toEqual([2, 4])
      const printed = log.mock.calls.map(c => String(c[0])).join('\n')
      expect(printed).toMatch(/latency \(all applied\)\s+p50 [\d.]+ \/ p99 [\d.]+/)
      expect(printed).toMatch(/forks\s+0/)
    } finally {
      log.mockRestore()
      await rm(out, { recursive: true, force: true })
    }
  }, 60_000)
})
