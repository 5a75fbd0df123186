/**
 * The sequencer-failover simulation at 50 relays and 200 names, on the real LeaseBook:
 * the same seed gives the same figures; every crashed sequencer's names fail over unless
 * no replica that had caught up was left; no window is shorter than detection allows;
 * with replication 1 nothing fails over; a lease book that breaks the rules is caught;
 * and the command line runs it.
 */
import { describe, it, expect, vi } from 'vitest'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { LeaseBook } from '../../src/control/lease-book.js'
import { runFailoverSim } from '../../sims/failover-sim.js'
import type { FailoverSimOptions } from '../../sims/failover-sim.js'
import type { FailoverSimMetrics } from '../../sims/failover-report.js'
import { registerSimCommand } from '../../src/cli/sim.command.js'

const SMALL: FailoverSimOptions = { relays: 50, names: 200, crashes: 5, seed: 1 }

/** The figures without wall times (those differ run to run). */
const strip = (m: FailoverSimMetrics): unknown => ({ ...m, run: { ...m.run, wallMs: 0 }, controller: { ...m.controller, claimsWallMs: 0, relayDownWallMs: { mean: 0, max: 0 } } })

/** Every outage of a crashed sequencer ended in a failover, or waited for its holder. */
function expectAccounted (m: FailoverSimMetrics): void {
  const w = m.waitedForHolder
  expect(m.failedOver + w.total, JSON.stringify({ crashed: m.sequencerCrashed, failedOver: m.failedOver, w })).toBe(m.sequencerCrashed)
  expect(w.total).toBe(w.noReplica + w.replicaCatchingUp + w.replicaDown + w.backBeforeDetection)
  // What waited and did not come back is what is still unavailable (replica stalls all end: replacements exist).
  expect(m.stillUnavailable).toBe(w.total - w.recovered)
}

describe('sequencer failover simulation', () => {
  it('gives the same figures for the same seed and different ones for another', async () => {
    const a = await runFailoverSim(SMALL)
    const b = await runFailoverSim(SMALL)
    const c = await runFailoverSim({ ...SMALL, seed: 2 })
    expect(strip(a)).toEqual(strip(b))
    expect(strip(c)).not.toEqual(strip(a))
  })

  it('fails over every crashed sequencer\'s names unless their only replica was catching up', async () => {
    for (const seed of [1, 2, 3]) {
      const m = await runFailoverSim({ ...SMALL, seed })
      expect(m.sequencerCrashed).toBeGreaterThan(0)
      expectAccounted(m)
      expect(m.waitedForHolder.noReplica).toBe(0)
      expect(m.failedOver).toBe(m.sequencerCrashed - m.waitedForHolder.replicaCatchingUp - m.waitedForHolder.replicaDown)
      expect(m.controller.leasesMoved).toBeGreaterThanOrEqual(m.failedOver)
      expect(m.controller.relayDownCalls).toBe(m.crashes.relays)
    }
  })

  it('leaves a name waiting for its holder when its only replica is still catching up', async () => {
    // Catch-ups of about 10 s: a replacement replica is still catching up when the next crash takes its holder.
    const m = await runFailoverSim({ ...SMALL, crashes: 12, seed: 27, costs: { archiveMessages: 10_000, catchUpPerMessageMs: 1, restartFraction: 1 } })
    expectAccounted(m)
    expect(m.waitedForHolder.replicaCatchingUp).toBeGreaterThan(0)
    // Every holder came back, so every name that waited acknowledged again, later than those that failed over.
    expect(m.stillUnavailable).toBe(0)
    expect(m.waitedForHolder.unavailableMs.min).toBeGreaterThanOrEqual(m.costs.restartAfterMs[0])
    // Old holders back from a restart led on under the lease they kept until the controller's answer fenced them (checked at the end).
    expect(m.restored.stale).toBeGreaterThan(0)
  })

  it('is never faster than detection: p99 unavailability at least the down-after interval', async () => {
    const m = await runFailoverSim(SMALL)
    expect(m.failedOver).toBeGreaterThan(10)
    expect(m.unavailableMs.p99).toBeGreaterThanOrEqual(m.costs.downAfterMs)
    // The timeout counts from the last heartbeat: at most one (jittered) interval before the crash.
    const earliest = m.costs.downAfterMs - m.costs.heartbeatMs * (1 + m.costs.heartbeatJitter)
    expect(m.failoverMs.min).toBeGreaterThanOrEqual(earliest)
    expect(m.unavailableMs.min).toBeGreaterThanOrEqual(m.failoverMs.min)
    expect(m.breakdownMs.detect).toBeGreaterThanOrEqual(earliest)
    expect(m.breakdownMs.detect).toBeLessThanOrEqual(m.costs.downAfterMs)
  })

  it('fails over nothing with replication 1: every crashed sequencer\'s names wait for it', async () => {
    const m = await runFailoverSim({ ...SMALL, replication: 1 })
    expect(m.sequencerCrashed).toBeGreaterThan(0)
    expect(m.failedOver).toBe(0)
    expect(m.controller.leasesMoved).toBe(0)
    expect(m.controller.leasesChanged).toBe(0)
    expect(m.waitedForHolder.noReplica).toBe(m.sequencerCrashed)
    expect(m.replicaLost.names).toBe(0)
    expectAccounted(m)
  })

  it('fails loudly when the lease book moves a lease against the rules', async () => {
    // A book whose failover keeps the old term: a second sequencer under the same term.
    const run = runFailoverSim({
      ...SMALL,
      makeBook: async (init) => {
        const real = await LeaseBook.load(init)
        return {
          claim: async (name, peer) => await real.claim(name, peer),
          relayDown: async (peer) => (await real.relayDown(peer)).map(({ lease, previous }) => ({ lease: lease.holder !== previous ? { ...lease, term: lease.term - 1 } : lease, previous })),
          relayUp: async (peer) => await real.relayUp(peer),
          caughtUp: async (...a) => await real.caughtUp(...a),
          get: (name) => real.get(name),
          all: () => real.all()
        }
      }
    })
    await expect(run).rejects.toThrow(/InvariantError|moved to relay-\d+ under term 1, not 2/)
    await expect(run).rejects.toMatchObject({ name: 'InvariantError' })
  })

  it('runs from the command line and writes metrics.json', async () => {
    const out = await mkdtemp(join(tmpdir(), 'sim-failover-'))
    const log = vi.spyOn(console, 'log').mockImplementation(() => {})
    try {
      const program = new Command().exitOverride()
      registerSimCommand(program)
      await program.parseAsync(['node', 'slim-mesh', 'sim', 'failover', '--relays', '50', '--names', '200', '--crashes', '5', '--seed', '1', '--push-latency', '2-20ms', '--cost', 'startMs=5', '--out', out])
      const m = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8')) as FailoverSimMetrics
      expect(m).toMatchObject({ scenario: 'failover', relays: 50, names: 200, replication: 2, costs: { pushMs: [2, 20], startMs: 5, downAfterMs: 6000, heartbeatMs: 2000, resendAfterMs: 2000 } })
      expectAccounted(m)
      const printed = log.mock.calls.map(c => String(c[0])).join('\n')
      expect(printed).toMatch(/failover time\s+p50 [\d.]+ \/ p90 [\d.]+ \/ p99/)
      expect(printed).toMatch(/unavailable\s+p50/)
    } finally {
      log.mockRestore()
      await rm(out, { recursive: true, force: true })
    }
  })
})
