/**
 * The topology manager: each kind plans links only between up relays, re-plans keep the
 * up relays connected, `computed` is connected, bridge-free, degree-bounded, prefers
 * cheap links and does not flap on jitter.
 */
import { describe, it, expect } from 'vitest'
import { backbone, components, linksOf, planDiff, planLinks } from '../../src/control/topology.js'
import type { LinkHealth, LinkPair, RelayView, TopologySpec } from '../../src/control/types.js'
import { createRng } from '../../sims/prng.js'

const id = (i: number): string => `r${String(i).padStart(4, '0')}`
const roster = (n: number, down: number[] = []): RelayView[] =>
  Array.from({ length: n }, (_, i) => ({ peerId: id(i), up: !down.includes(i), order: i }))
const upIds = (rs: RelayView[]): string[] => rs.filter(r => r.up).map(r => r.peerId)

function degrees (plan: LinkPair[]): Map<string, number> {
  const d = new Map<string, number>()
  for (const [a, b] of plan) { d.set(a, (d.get(a) ?? 0) + 1); d.set(b, (d.get(b) ?? 0) + 1) }
  return d
}

/** Whether removing any one link leaves `nodes` in one piece. */
function twoEdgeConnected (nodes: string[], plan: LinkPair[]): boolean {
  return plan.every((_, i) => components(nodes, plan.filter((__, j) => j !== i)).length === 1)
}

/** Symmetric health for the listed pairs. */
function health (rtts: Array<[string, string, number]>): LinkHealth[] {
  return rtts.flatMap(([a, b, rttMs]) => [{ from: a, to: b, rttMs }, { from: b, to: a, rttMs }])
}

function expectWellFormed (plan: LinkPair[], rs: RelayView[]): void {
  const up = new Set(upIds(rs))
  for (const [a, b] of plan) {
    expect(a < b).toBe(true)
    expect(up.has(a) && up.has(b)).toBe(true)
  }
  const keys = plan.map(p => p.join('-'))
  expect(new Set(keys).size).toBe(keys.length)
  expect([...keys].sort()).toEqual(keys)
}

describe('planLinks', () => {
  it('full links every up relay to every other', () => {
    const rs = roster(5, [2])
    const plan = planLinks(rs, { kind: 'full' })
    expectWellFormed(plan, rs)
    expect(plan).toHaveLength(6)
  })

  it('star links every up relay to the hub, or to the oldest up relay when the hub is down', () => {
    const rs = roster(5)
    expect(planLinks(rs, { kind: 'star', hub: id(3) })).toEqual([[id(0), id(3)], [id(1), id(3)], [id(2), id(3)], [id(3), id(4)]])
    const down = roster(5, [0, 3])
    const plan = planLinks(down, { kind: 'star', hub: id(3) })
    expect(plan).toEqual([[id(1), id(2)], [id(1), id(4)]])
  })

  it('line links up relays by order; when the middle one goes down its neighbours link', () => {
    const rs = roster(5).map(r => ({ ...r, order: 10 - r.order }))
    expect(planLinks(rs, { kind: 'line' })).toEqual([[id(3), id(4)], [id(2), id(3)], [id(1), id(2)], [id(0), id(1)]].sort((x, y) => x[0]! < y[0]! ? -1 : 1))
    const after = roster(5, [2])
    const plan = planLinks(after, { kind: 'line' })
    expect(plan).toContainEqual([id(1), id(3)])
    expect(components(upIds(after), plan)).toHaveLength(1)
    expect(planDiff(planLinks(roster(5), { kind: 'line' }), plan)).toEqual({ add: [[id(1), id(3)]], drop: [[id(1), id(2)], [id(2), id(3)]] })
  })

  it('pairs keeps the listed pairs between up relays and repairs the pieces, cheapest measured bridge first', () => {
    const rs = roster(6, [5])
    const spec: TopologySpec = { kind: 'pairs', pairs: [[id(0), id(1)], [id(3), id(2)], [id(4), id(5)]] }
    const plain = planLinks(rs, spec)
    expectWellFormed(plain, rs)
    expect(plain).toContainEqual([id(0), id(1)])
    expect(plain).toContainEqual([id(2), id(3)])
    expect(components(upIds(rs), plain)).toHaveLength(1)
    expect(plain).toHaveLength(4) // 2 listed + 2 bridges for 3 pieces
    // Oldest relays bridge when nothing is measured.
    expect(plain).toEqual([[id(0), id(1)], [id(0), id(2)], [id(0), id(4)], [id(2), id(3)]])
    // A measured cheap link wins over the oldest-relay bridge.
    const measured = planLinks(rs, spec, { health: health([[id(3), id(4), 2], [id(1), id(2), 5]]) })
    expect(measured).toEqual([[id(0), id(1)], [id(1), id(2)], [id(2), id(3)], [id(3), id(4)]])
  })

  it('plans nothing for fewer than two up relays', () => {
    for (const kind of ['full', 'line', 'star', 'computed'] as const) expect(planLinks(roster(3, [0, 1]), { kind })).toEqual([])
  })
})

describe('planLinks computed', () => {
  it('without health falls back to a ring plus chords: connected, degree 4, no bridge', () => {
    const rs = roster(100, [17])
    const plan = planLinks(rs, { kind: 'computed' })
    expectWellFormed(plan, rs)
    expect(components(upIds(rs), plan)).toHaveLength(1)
    expect([...degrees(plan).values()].every(d => d === 4)).toBe(true)
    expect(twoEdgeConnected(upIds(rs), plan)).toBe(true)
    expect(plan).toEqual(backbone(upIds(rs), 100, 4))
  })

  it('in a square with costly diagonals keeps the cheap ring and drops the diagonals', () => {
    const [a, b, c, d] = [id(0), id(1), id(2), id(3)]
    const h = health([[a, b, 10], [b, c, 10], [c, d, 10], [d, a, 10], [a, c, 200], [b, d, 200]])
    expect(planLinks(roster(4), { kind: 'computed' }, { health: h })).toEqual([[a, b], [a, d], [b, c], [c, d]])
  })

  it('drops the high-RTT link of a triangle when the relays can do without it', () => {
    // Two triangles joined: a-b-c (a-c slow) and c-d-e; min degree 2 needs no slow link.
    const [a, b, c, d] = [id(0), id(1), id(2), id(3)]
    const h = health([[a, b, 5], [b, c, 5], [a, c, 300], [a, d, 6], [c, d, 6], [b, d, 250]])
    const plan = planLinks(roster(4), { kind: 'computed' }, { health: h })
    expect(plan).not.toContainEqual([a, c])
    expect(plan).not.toContainEqual([b, d])
    expect(twoEdgeConnected([a, b, c, d], plan)).toBe(true)
  })

  it('counts loss and queued bytes in the cost', () => {
    const [a, b, c, d] = [id(0), id(1), id(2), id(3)]
    const base: Array<[string, string, number]> = [[a, b, 10], [b, c, 10], [c, d, 10], [d, a, 10], [a, c, 11], [b, d, 11]]
    const lossy = health(base).map(x => (x.from === a && x.to === b) ? { ...x, loss: 0.5 } : x)
    const plan = planLinks(roster(4), { kind: 'computed' }, { health: lossy })
    expect(plan).not.toContainEqual([a, b])
    const queued = health(base).map(x => (x.from === c && x.to === d) ? { ...x, queuedBytes: 5_000_000 } : x)
    expect(planLinks(roster(4), { kind: 'computed' }, { health: queued })).not.toContainEqual([c, d])
  })

  it('keeps current links under small jitter and switches on a big change', () => {
    const [a, b, c, d] = [id(0), id(1), id(2), id(3)]
    const rs = roster(4)
    const first = planLinks(rs, { kind: 'computed' }, { health: health([[a, b, 10], [b, c, 10], [c, d, 10], [d, a, 10], [a, c, 10.5], [b, d, 30]]) })
    expect(first).toEqual([[a, b], [a, d], [b, c], [c, d]])
    // Jitter: a-d a little slower, a-c a little faster. Without hysteresis the plan changes.
    const jitter = health([[a, b, 10], [b, c, 10], [c, d, 10], [d, a, 11.5], [a, c, 10.2], [b, d, 30]])
    expect(planLinks(rs, { kind: 'computed' }, { health: jitter })).not.toEqual(first)
    expect(planLinks(rs, { kind: 'computed' }, { health: jitter, current: first })).toEqual(first)
    // A big change: a-d is now 100 ms.
    const big = health([[a, b, 10], [b, c, 10], [c, d, 10], [d, a, 100], [a, c, 10.2], [b, d, 30]])
    expect(planLinks(rs, { kind: 'computed' }, { health: big, current: first })).not.toContainEqual([a, d])
  })

  it('respects the degree bound and keeps every relay at 2 or more links', () => {
    const rng = createRng(5)
    const rs = roster(40)
    const ids = upIds(rs)
    // A hub that is cheap to everyone would take every link without the bound.
    const rtts: Array<[string, string, number]> = []
    for (let i = 0; i < 40; i++) for (let j = i + 1; j < 40; j++) rtts.push([ids[i]!, ids[j]!, i === 0 ? 1 : 20 + rng.int(80)])
    for (const degree of [3, 4]) {
      const plan = planLinks(rs, { kind: 'computed', degree }, { health: health(rtts) })
      const deg = degrees(plan)
      expect(Math.max(...deg.values())).toBeLessThanOrEqual(degree)
      expect(Math.min(...ids.map(x => deg.get(x) ?? 0))).toBeGreaterThanOrEqual(2)
      expect(twoEdgeConnected(ids, plan)).toBe(true)
    }
  })

  it('survives any one relay failing when every pair is measured (random RTTs, 5 to 40 relays)', () => {
    const rng = createRng('vertex')
    for (let round = 0; round < 40; round++) {
      const rs = roster(5 + rng.int(36))
      const ids = upIds(rs)
      const rtts: Array<[string, string, number]> = []
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) rtts.push([ids[i]!, ids[j]!, 1 + rng.int(150)])
      const plan = planLinks(rs, { kind: 'computed' }, { health: health(rtts) })
      expect(Math.max(...degrees(plan).values())).toBeLessThanOrEqual(4)
      for (const c of ids) expect(components(ids.filter(x => x !== c), plan), `round ${round}: without ${c}`).toHaveLength(1)
    }
  })

  it('is deterministic for the same input', () => {
    const rs = roster(80, [3, 40])
    const rng = createRng(9)
    const ids = upIds(rs)
    const h = health(Array.from({ length: 300 }, () => [rng.pick(ids), rng.pick(ids), 1 + rng.int(100)] as [string, string, number]).filter(([x, y]) => x !== y))
    expect(planLinks(rs, { kind: 'computed' }, { health: h })).toEqual(planLinks([...rs].reverse(), { kind: 'computed' }, { health: [...h].reverse() }))
  })

  it('plans 1000 relays fast, with and without health', () => {
    const rs = roster(1000, [500])
    let t = performance.now()
    const plain = planLinks(rs, { kind: 'computed' })
    const plainMs = performance.now() - t
    const rng = createRng(2)
    const h = health(plain.map(([a, b]) => [a, b, 1 + rng.int(150)]))
    t = performance.now()
    const tuned = planLinks(rs, { kind: 'computed' }, { health: h, current: plain })
    const tunedMs = performance.now() - t
    expect(components(upIds(rs), tuned)).toHaveLength(1)
    expect(plainMs).toBeLessThan(500)
    expect(tunedMs).toBeLessThan(1000)
  })
})

describe('property: every plan over the up relays is one component', () => {
  it('holds for random rosters, specs and health', () => {
    const rng = createRng('topology-property')
    for (let round = 0; round < 300; round++) {
      const n = 1 + rng.int(round < 200 ? 12 : 90)
      const rs = roster(n).map(r => ({ ...r, up: rng.chance(0.8), order: rng.int(1000) }))
      const ids = rs.map(r => r.peerId)
      const up = upIds(rs)
      const randomPairs = Array.from({ length: rng.int(2 * n + 1) }, () => [rng.pick(ids), rng.pick(ids)] as [string, string])
      const h = rng.chance(0.5) ? [] : health(randomPairs.filter(([x, y]) => x !== y).map(([x, y]) => [x, y, rng.int(200)]))
      const specs: Array<TopologySpec & { degree?: number }> = [{ kind: 'full' }, { kind: 'star', hub: rng.pick(ids) }, { kind: 'line' }, { kind: 'pairs', pairs: randomPairs }, { kind: 'computed', degree: 2 + rng.int(4) }]
      for (const spec of specs) {
        const plan = planLinks(rs, spec, { health: h, current: rng.chance(0.5) ? randomPairs.filter(([x, y]) => x !== y).map(([x, y]) => (x < y ? [x, y] : [y, x]) as LinkPair) : undefined })
        expectWellFormed(plan, rs)
        expect(components(up, plan).length, `${spec.kind} n=${n} round=${round}`).toBe(up.length === 0 ? 0 : 1)
        if (spec.kind === 'computed' && up.length >= 3) {
          expect(Math.min(...up.map(x => degrees(plan).get(x) ?? 0)), `computed min degree n=${up.length} round=${round}`).toBeGreaterThanOrEqual(2)
          // Every pair is a candidate up to 64 relays: the bound holds (2 only for a cycle, which greedy may miss).
          if (spec.degree! >= 3 && up.length <= 64) expect(Math.max(...degrees(plan).values()), `computed max degree n=${up.length} round=${round}`).toBeLessThanOrEqual(spec.degree!)
        }
      }
    }
  })
})

describe('components, planDiff, linksOf', () => {
  it('finds the pieces, the changes and a relay\'s neighbours', () => {
    expect(components(['a', 'b', 'c', 'd'], [['a', 'b'], ['c', 'x']])).toEqual([['a', 'b'], ['c'], ['d']])
    expect(planDiff([['a', 'b'], ['b', 'c']], [['b', 'c'], ['a', 'c']])).toEqual({ add: [['a', 'c']], drop: [['a', 'b']] })
    expect(linksOf('b', [['a', 'b'], ['b', 'c'], ['c', 'd']])).toEqual(['a', 'c'])
  })
})
