/**
 * The benchmark harness reports what it measured, in the documented shape. (Speed itself
 * is measured by `npm run bench`, never asserted in a test.)
 */
import { describe, it, expect } from 'vitest'
import { runBench, formatTable } from '../../bench/run.js'

describe('benchmark harness', () => {
  it('reports MLS seal and open beside the floor and the peer, with the ratio and the goal', async () => {
    const report = await runBench({ only: 'mls-seal-open' })
    expect(report.machine.cores).toBeGreaterThan(0)
    expect(report.results).toHaveLength(1)
    const r = report.results[0]!
    expect(r).toMatchObject({ scenario: 'mls-seal-open', unit: 'ms' })
    expect(r.ours).toBeGreaterThan(0)
    expect(r.floor).toBeGreaterThan(0)
    expect(r.peer).toBeGreaterThan(0)
    expect(r.ratio).toBeCloseTo(r.ours / (r.peer as number), 1)
    expect(typeof r.met).toBe('boolean')
    const table = formatTable(report)
    expect(table).toMatch(/\| mls-seal-open \| ms \|/)
  }, 120_000)

  it('refuses an unknown scenario by name, listing the known ones', async () => {
    await expect(runBench({ only: 'nope' })).rejects.toThrow(/no scenario "nope"; known: reqrep-1relay/)
  })
})
