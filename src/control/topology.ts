/**
 * The topology manager: from the roster (who is up, in registration order), the mesh's
 * `TopologySpec` and, for `computed`, the health the relays report of their links, it
 * plans which relays link to which. Pure: no I/O, no clock; the same input gives the
 * same plan, so the controller can re-plan on every change and diff the result.
 *
 * Every plan links only relays that are up, lists each pair once as `[a, b]` with
 * `a < b`, sorted.
 *
 * - `full`: every up relay to every other (n·(n-1)/2 links: meant for small meshes).
 * - `star`: every up relay to the hub: `spec.hub` if it is up, else the oldest up relay.
 * - `line`: up relays by `order`, each to the next (a relay going down makes its two
 *   neighbours link to each other).
 * - `pairs`: the listed pairs between up relays, then repair links so the up relays form
 *   one component: components are bridged by the cheapest measured link between them
 *   (Kruskal on link cost), and those with no measured link by their oldest relays, each
 *   to the component holding the oldest relay of all.
 * - `computed`: what it optimises, precisely:
 *   1. The cost of a link `a-b` is `rtt × (1 + 10·loss) + queued / 10 kB`, where `rtt`
 *      (ms) and `loss` (0..1) are averaged over the reports of both directions, and
 *      `queued` (bytes) too; a pair nobody measured counts `defaultRttMs`, by default
 *      the slowest RTT measured (50 ms if none): the plan prefers links it knows to
 *      links it guesses at, so it does not swap measured links for hopeful unknowns.
 *   2. Among the candidate links it takes a minimum spanning tree by cost (Kruskal,
 *      ties broken by ids), keeping each relay at most `degree` links (default 4)
 *      where the candidates allow; if the bound would leave the relays in pieces, the
 *      missing links are taken past the bound (connectivity first).
 *   3. Then it makes the graph 2-edge-connected where it can within the degree bound
 *      (no single link or relay-to-relay failure partitions it; with n ≥ 3 that also
 *      gives every relay at least 2 links): it walks the unused candidates cheapest
 *      first and adds each one that closes a cycle over at least one remaining bridge.
 *   4. Then, still within the bound, for each relay whose failure would split the
 *      rest (a cut vertex), the cheapest unused link that joins two of the pieces.
 *   So: the least total cost that keeps the up relays connected, plus the cheapest
 *   links that remove every bridge and cut vertex, under a degree bound (a relay left
 *   with one link gets a second past the bound). It does not bound the hop
 *   count (diameter); the no-health backbone below does.
 *   Hysteresis: a link in `options.current` counts at 0.8 × its cost, so it is replaced
 *   only by a link at least 20% cheaper, and RTT jitter does not make plans flap.
 *   Candidates: every pair when at most 64 relays are up; beyond that, the measured
 *   pairs, the current links and the backbone (so the work stays near O(E log E) on a
 *   few thousand edges rather than n²).
 *   With no measured link among the up relays, the plan is the backbone itself: a ring
 *   of the up relays by `order`, plus chords from each relay to the one `s` places on
 *   (s = ⌈√(roster size)⌉) when `degree ≥ 4`: every relay has 4 links, the graph is
 *   2-edge-connected and about 2√n hops across; a relay going down changes only the
 *   ring link around it and the √n chords spanning it.
 */
import { Dsu, coverBridges, coverCutVertices } from './graph.js'
import type { Edge } from './graph.js'
import type { LinkHealth, LinkPair, RelayView, TopologySpec } from './types.js'

export interface PlanOptions {
  /** Link health as the relays reported it (computed, and repair links of pairs). */
  health?: LinkHealth[]
  /** The links of the plan in force (computed: hysteresis). */
  current?: LinkPair[]
  /** The RTT assumed for a pair no relay measured, ms (default: the slowest measured, or 50). */
  defaultRttMs?: number
}

/** Default links per relay for `computed`. */
export const DEFAULT_DEGREE = 4
/** Cost assumed for an unmeasured RTT when nothing is measured at all, ms. */
export const DEFAULT_RTT_MS = 50
/** A current link counts at this fraction of its cost: a replacement must be 20% cheaper. */
export const HYSTERESIS = 0.8
/** Up to this many up relays, `computed` considers every pair. */
const ALL_PAIRS_UP_TO = 64

/** The pair `[a, b]` with `a < b`. */
export function pairOf (x: string, y: string): LinkPair {
  return x < y ? [x, y] : [y, x]
}

const keyOf = (a: string, b: string): string => a < b ? `${a}\n${b}` : `${b}\n${a}`

function comparePairs (p: LinkPair, q: LinkPair): number {
  return p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : p[1] < q[1] ? -1 : p[1] > q[1] ? 1 : 0
}

/** Sorted, de-duplicated, self-links removed, each as `a < b`. */
export function normalise (links: Iterable<readonly [string, string]>): LinkPair[] {
  const seen = new Map<string, LinkPair>()
  for (const [x, y] of links) {
    if (x === y) continue
    const k = keyOf(x, y)
    if (!seen.has(k)) seen.set(k, pairOf(x, y))
  }
  return [...seen.values()].sort(comparePairs)
}

/** The up relays, oldest first (ties by id). */
function upByOrder (relays: RelayView[]): RelayView[] {
  return relays.filter(r => r.up).sort((x, y) => x.order - y.order || (x.peerId < y.peerId ? -1 : x.peerId > y.peerId ? 1 : 0))
}

/** Plans the links of the mesh; see the file's comment for each kind. */
export function planLinks (relays: RelayView[], spec: TopologySpec, options: PlanOptions = {}): LinkPair[] {
  const up = upByOrder(relays)
  const ids = up.map(r => r.peerId)
  if (ids.length < 2) return []
  switch (spec.kind) {
    case 'full': {
      const out: LinkPair[] = []
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) out.push(pairOf(ids[i] as string, ids[j] as string))
      return out.sort(comparePairs)
    }
    case 'star': {
      const hub = spec.hub != null && ids.includes(spec.hub) ? spec.hub : ids[0] as string
      return normalise(ids.filter(id => id !== hub).map(id => [hub, id] as const))
    }
    case 'line':
      return normalise(ids.slice(1).map((id, i) => [ids[i] as string, id] as const))
    case 'pairs':
      return planPairs(ids, spec.pairs, options)
    case 'computed':
      return planComputed(ids, relays.length, spec.degree ?? DEFAULT_DEGREE, options)
  }
}

/** The neighbours `peerId` has in `plan`, sorted. */
export function linksOf (peerId: string, plan: LinkPair[]): string[] {
  const out: string[] = []
  for (const [a, b] of plan) {
    if (a === peerId) out.push(b)
    else if (b === peerId) out.push(a)
  }
  return out.sort()
}

/** What changes from `current` to `next`: links to add and links to drop, each sorted. */
export function planDiff (current: LinkPair[], next: LinkPair[]): { add: LinkPair[], drop: LinkPair[] } {
  const cur = new Set(current.map(([a, b]) => keyOf(a, b)))
  const nxt = new Set(next.map(([a, b]) => keyOf(a, b)))
  return {
    add: normalise(next.filter(([a, b]) => !cur.has(keyOf(a, b)))),
    drop: normalise(current.filter(([a, b]) => !nxt.has(keyOf(a, b))))
  }
}

/**
 * The connected components of `nodes` under `links` (links to nodes not listed are
 * ignored): each component sorted, components ordered by their first node.
 */
export function components (nodes: string[], links: LinkPair[]): string[][] {
  const index = new Map<string, number>()
  nodes.forEach((n, i) => { if (!index.has(n)) index.set(n, i) })
  const dsu = new Dsu(nodes.length)
  for (const [a, b] of links) {
    const i = index.get(a)
    const j = index.get(b)
    if (i != null && j != null) dsu.union(i, j)
  }
  const groups = new Map<number, string[]>()
  for (const [n, i] of index) {
    const r = dsu.find(i)
    let g = groups.get(r)
    if (g == null) groups.set(r, g = [])
    g.push(n)
  }
  return [...groups.values()].map(g => g.sort()).sort((x, y) => (x[0] as string) < (y[0] as string) ? -1 : 1)
}

/**
 * Link costs from health reports (both directions averaged; see the file's comment),
 * for the relays in `index` (peer id to position); reports about others are ignored.
 */
export class LinkCosts {
  private readonly byPair = new Map<number, { rtt: number, rttN: number, loss: number, lossN: number, queued: number, queuedN: number }>()
  private readonly defaultRttMs: number
  private readonly n: number
  /** `defaultRttMs`: the RTT of an unmeasured pair; by default the slowest measured RTT (50 ms if none). */
  constructor (health: LinkHealth[] = [], index: Map<string, number>, defaultRttMs?: number) {
    this.n = index.size
    let slowest = 0
    for (const h of health) {
      const i = index.get(h.from)
      const j = index.get(h.to)
      if (i == null || j == null || i === j) continue
      const k = this.key(i, j)
      let e = this.byPair.get(k)
      if (e == null) this.byPair.set(k, e = { rtt: 0, rttN: 0, loss: 0, lossN: 0, queued: 0, queuedN: 0 })
      if (h.rttMs != null && Number.isFinite(h.rttMs)) { e.rtt += h.rttMs; e.rttN++; if (h.rttMs > slowest) slowest = h.rttMs }
      if (h.loss != null && Number.isFinite(h.loss)) { e.loss += Math.min(1, Math.max(0, h.loss)); e.lossN++ }
      if (h.queuedBytes != null && Number.isFinite(h.queuedBytes)) { e.queued += Math.max(0, h.queuedBytes); e.queuedN++ }
    }
    this.defaultRttMs = defaultRttMs ?? (slowest > 0 ? slowest : DEFAULT_RTT_MS)
  }

  private key (i: number, j: number): number { return i < j ? i * this.n + j : j * this.n + i }

  get size (): number { return this.byPair.size }

  /** The measured pairs, as positions `[i, j]` with `i < j`. */
  pairs (): Array<[number, number]> {
    return [...this.byPair.keys()].map(k => [Math.floor(k / this.n), k % this.n])
  }

  cost (i: number, j: number): number {
    const e = this.byPair.get(this.key(i, j))
    const rtt = e != null && e.rttN > 0 ? e.rtt / e.rttN : this.defaultRttMs
    const loss = e != null && e.lossN > 0 ? e.loss / e.lossN : 0
    const queued = e != null && e.queuedN > 0 ? e.queued / e.queuedN : 0
    return rtt * (1 + 10 * loss) + queued / 10_000
  }
}

/** Ranks of `ids` in id order, so ties compare integers rather than strings. */
function idRanks (ids: string[]): Int32Array {
  const rank = new Int32Array(ids.length)
  ids.map((id, i) => [id, i] as const).sort((x, y) => x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0).forEach(([, i], r) => { rank[i] = r })
  return rank
}

function edge (i: number, j: number, cost: number, rank: Int32Array): Edge {
  const ri = rank[i] as number
  const rj = rank[j] as number
  return { i: Math.min(i, j), j: Math.max(i, j), cost, lo: Math.min(ri, rj), hi: Math.max(ri, rj) }
}

/** Cheapest first, then by ids: the order every greedy step here takes edges in. */
function sortEdges (edges: Edge[]): Edge[] {
  return edges.sort((x, y) => x.cost - y.cost || x.lo - y.lo || x.hi - y.hi)
}

function planPairs (ids: string[], pairs: Array<[string, string]>, options: PlanOptions): LinkPair[] {
  const upSet = new Set(ids)
  const links = normalise(pairs.filter(([a, b]) => upSet.has(a) && upSet.has(b)))
  const index = new Map(ids.map((id, i) => [id, i]))
  const dsu = new Dsu(ids.length)
  for (const [a, b] of links) dsu.union(index.get(a) as number, index.get(b) as number)
  const costs = new LinkCosts(options.health, index, options.defaultRttMs)
  const rank = idRanks(ids)
  // Cheapest measured bridges first (Kruskal over the components).
  const measured = costs.pairs().map(([i, j]) => edge(i, j, costs.cost(i, j), rank))
  for (const e of sortEdges(measured)) {
    if (dsu.union(e.i, e.j)) links.push(pairOf(ids[e.i] as string, ids[e.j] as string))
  }
  // Then the oldest relay of each remaining component to the oldest relay of all (ids are by order).
  for (let i = 1; i < ids.length; i++) {
    if (dsu.find(i) === dsu.find(0)) continue
    // i is the oldest of its component if no older relay shares it: the first one met.
    if (dsu.union(0, i)) links.push(pairOf(ids[0] as string, ids[i] as string))
  }
  return normalise(links)
}

/** Ring by order plus chords `s` places on (when degree ≥ 4), over the up relays `ids` (by order). */
export function backbone (ids: string[], rosterSize: number, degree: number): LinkPair[] {
  const n = ids.length
  if (n < 2) return []
  const out: Array<[string, string]> = []
  for (let i = 0; i < n; i++) {
    if (n === 2 && i === 1) break
    out.push([ids[i] as string, ids[(i + 1) % n] as string])
  }
  const s = Math.ceil(Math.sqrt(Math.max(rosterSize, n)))
  if (degree >= 4 && n > 2 * s) {
    for (let i = 0; i < n; i++) out.push([ids[i] as string, ids[(i + s) % n] as string])
  }
  return normalise(out)
}

function planComputed (ids: string[], rosterSize: number, degreeIn: number, options: PlanOptions): LinkPair[] {
  const degree = Math.max(2, Math.floor(degreeIn))
  const n = ids.length
  const index = new Map(ids.map((id, i) => [id, i]))
  const costs = new LinkCosts(options.health, index, options.defaultRttMs)
  if (costs.size === 0) return backbone(ids, rosterSize, degree)

  const pos = (a: string, b: string): [number, number] | undefined => {
    const i = index.get(a)
    const j = index.get(b)
    return i == null || j == null || i === j ? undefined : i < j ? [i, j] : [j, i]
  }
  const current = new Set<number>()
  for (const [a, b] of options.current ?? []) { const p = pos(a, b); if (p != null) current.add(p[0] * n + p[1]) }
  const seen = new Set<number>()
  const rank = idRanks(ids)
  const edges: Edge[] = []
  const consider = (i: number, j: number): void => {
    const k = i * n + j
    if (seen.has(k)) return
    seen.add(k)
    const c = costs.cost(i, j)
    edges.push(edge(i, j, current.has(k) ? c * HYSTERESIS : c, rank))
  }
  if (n <= ALL_PAIRS_UP_TO) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) consider(i, j)
  } else {
    for (const [i, j] of costs.pairs()) consider(i, j)
    for (const k of current) consider(Math.floor(k / n), k % n)
    for (const [a, b] of backbone(ids, rosterSize, degree)) { const p = pos(a, b); if (p != null) consider(p[0], p[1]) }
  }
  sortEdges(edges)

  const deg = new Int32Array(n)
  const used = new Uint8Array(edges.length)
  const take = (e: number): void => {
    used[e] = 1
    const x = edges[e] as Edge
    deg[x.i] = (deg[x.i] as number) + 1
    deg[x.j] = (deg[x.j] as number) + 1
  }
  // 2. Minimum spanning tree under the degree bound, then past it if the bound leaves pieces.
  const dsu = new Dsu(n)
  let joined = 0
  for (let e = 0; e < edges.length && joined < n - 1; e++) {
    const x = edges[e] as Edge
    if ((deg[x.i] as number) >= degree || (deg[x.j] as number) >= degree) continue
    if (dsu.union(x.i, x.j)) { take(e); joined++ }
  }
  for (let e = 0; e < edges.length && joined < n - 1; e++) {
    const x = edges[e] as Edge
    if (used[e] === 0 && dsu.union(x.i, x.j)) { take(e); joined++ }
  }
  // 3. Remove bridges with the cheapest candidates: first from relays with one link, then
  // any, within the degree bound; last, past the bound for a relay still on one link.
  const lonely = (x: Edge): boolean => (deg[x.i] as number) < 2 || (deg[x.j] as number) < 2
  coverBridges(n, edges, used, deg, degree, lonely)
  coverBridges(n, edges, used, deg, degree, () => true)
  // 4. Then, within the bound, links that keep the rest connected when any one relay fails.
  coverCutVertices(n, edges, used, deg, degree)
  if (n >= 3 && deg.some(d => d < 2)) coverBridges(n, edges, used, deg, Infinity, lonely)
  const out: LinkPair[] = []
  for (let e = 0; e < edges.length; e++) {
    if (used[e] === 1) { const x = edges[e] as Edge; out.push(pairOf(ids[x.i] as string, ids[x.j] as string)) }
  }
  return out.sort(comparePairs)
}
