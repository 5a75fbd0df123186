/**
 * Graph algorithms the topology manager plans with, on relays numbered 0..n-1 and an
 * edge list (`used[e] === 1`: edge e is in the plan): union-find, Tarjan's low-link walk
 * (bridges and cut vertices), and greedy repairs that add the cheapest unused edges
 * (edges come sorted cheapest first) so no single link, then no single relay, can
 * split the plan. Pure.
 */

/** An edge between positions `i < j`; `lo < hi` are the ranks of their ids, for ties. */
export interface Edge { i: number, j: number, cost: number, lo: number, hi: number }

/** Union-find with path halving and union by size. */
export class Dsu {
  private readonly parent: Int32Array
  private readonly size: Int32Array
  constructor (n: number) {
    this.parent = new Int32Array(n).map((_, i) => i)
    this.size = new Int32Array(n).fill(1)
  }

  find (x: number): number {
    const p = this.parent
    while (p[x] !== x) {
      p[x] = p[p[x] as number] as number
      x = p[x] as number
    }
    return x
  }

  /** Joins the sets of x and y; false if they were one already. */
  union (x: number, y: number): boolean {
    let a = this.find(x)
    let b = this.find(y)
    if (a === b) return false
    if ((this.size[a] as number) < (this.size[b] as number)) [a, b] = [b, a]
    this.parent[b] = a
    this.size[a] = (this.size[a] as number) + (this.size[b] as number)
    return true
  }
}

/**
 * Greedy bridge cover (over the edges `wanted` picks, within `degree`): contracts the 2-edge-connected blocks of the chosen graph into
 * its bridge tree, then takes unused edges cheapest first; an edge between two blocks
 * not yet merged closes a cycle over the tree path between them, whose blocks merge
 * (union-find climbing to the lowest common ancestor).
 */
export function coverBridges (n: number, edges: Edge[], used: Uint8Array, deg: Int32Array, degree: number, wanted: (e: Edge) => boolean): void {
  const adj = adjacency(n, edges, used)
  const bridge = lowLink(n, edges, adj).bridges
  if (bridge.size === 0) return
  // Blocks: components without the bridges.
  const block = new Int32Array(n).fill(-1)
  let blocks = 0
  for (let s = 0; s < n; s++) {
    if (block[s] !== -1) continue
    const stack = [s]
    block[s] = blocks
    while (stack.length > 0) {
      const v = stack.pop() as number
      for (const e of adj[v] as number[]) {
        if (bridge.has(e)) continue
        const x = edges[e] as Edge
        const w = x.i === v ? x.j : x.i
        if (block[w] === -1) { block[w] = blocks; stack.push(w) }
      }
    }
    blocks++
  }
  // The bridge tree (a forest if the graph is in pieces), rooted per tree.
  const tadj: number[][] = Array.from({ length: blocks }, () => [])
  for (const e of bridge) {
    const x = edges[e] as Edge
    const p = block[x.i] as number
    const q = block[x.j] as number
    tadj[p]?.push(q)
    tadj[q]?.push(p)
  }
  const parent = new Int32Array(blocks).fill(-1)
  const depth = new Int32Array(blocks).fill(-1)
  const tree = new Int32Array(blocks)
  for (let r = 0; r < blocks; r++) {
    if (depth[r] !== -1) continue
    depth[r] = 0
    tree[r] = r
    const queue = [r]
    for (let h = 0; h < queue.length; h++) {
      const v = queue[h] as number
      for (const w of tadj[v] as number[]) {
        if (depth[w] === -1) { depth[w] = (depth[v] as number) + 1; parent[w] = v; tree[w] = r; queue.push(w) }
      }
    }
  }
  const merged = new Dsu(blocks)
  const top = new Int32Array(blocks).map((_, i) => i)
  const topOf = (b: number): number => top[merged.find(b)] as number
  let remaining = bridge.size
  for (let e = 0; e < edges.length && remaining > 0; e++) {
    if (used[e] === 1) continue
    const x = edges[e] as Edge
    if ((deg[x.i] as number) >= degree || (deg[x.j] as number) >= degree || !wanted(x)) continue
    const bu = block[x.i] as number
    const bv = block[x.j] as number
    if (tree[bu] !== tree[bv] || merged.find(bu) === merged.find(bv)) continue
    let u = topOf(bu)
    let v = topOf(bv)
    while (merged.find(u) !== merged.find(v)) {
      if ((depth[u] as number) < (depth[v] as number)) [u, v] = [v, u]
      const p = parent[u] as number
      const pTop = topOf(p)
      merged.union(u, p)
      top[merged.find(u)] = pTop
      remaining--
      u = topOf(u)
    }
    used[e] = 1
    deg[x.i] = (deg[x.i] as number) + 1
    deg[x.j] = (deg[x.j] as number) + 1
  }
}

/** The bridges (edge indices) and cut vertices of the graph, by an iterative Tarjan low-link walk. */
export function lowLink (n: number, edges: Edge[], adj: number[][]): { bridges: Set<number>, cuts: number[] } {
  const disc = new Int32Array(n).fill(-1)
  const low = new Int32Array(n)
  const out = new Set<number>()
  const cut = new Uint8Array(n)
  let time = 0
  for (let s = 0; s < n; s++) {
    if (disc[s] !== -1) continue
    let rootChildren = 0
    // Frames: [vertex, edge it was entered by, next adjacency position].
    const stack: Array<[number, number, number]> = [[s, -1, 0]]
    disc[s] = low[s] = time++
    while (stack.length > 0) {
      const frame = stack[stack.length - 1] as [number, number, number]
      const [v, via] = frame
      const list = adj[v] as number[]
      if (frame[2] < list.length) {
        const e = list[frame[2]++] as number
        if (e === via) continue
        const x = edges[e] as Edge
        const w = x.i === v ? x.j : x.i
        if (disc[w] === -1) {
          disc[w] = low[w] = time++
          if (v === s) rootChildren++
          stack.push([w, e, 0])
        } else {
          low[v] = Math.min(low[v] as number, disc[w] as number)
        }
      } else {
        stack.pop()
        const up = stack[stack.length - 1]
        if (up != null) {
          const p = up[0]
          low[p] = Math.min(low[p] as number, low[v] as number)
          if ((low[v] as number) > (disc[p] as number)) out.add(via)
          if (p !== s && (low[v] as number) >= (disc[p] as number)) cut[p] = 1
        }
      }
    }
    if (rootChildren > 1) cut[s] = 1
  }
  const cuts: number[] = []
  for (let v = 0; v < n; v++) if (cut[v] === 1) cuts.push(v)
  return { bridges: out, cuts }
}

/** Each vertex's list of the plan's edges. */
function adjacency (n: number, edges: Edge[], used: Uint8Array): number[][] {
  const adj: number[][] = Array.from({ length: n }, () => [])
  for (let e = 0; e < edges.length; e++) {
    if (used[e] === 1) { const x = edges[e] as Edge; adj[x.i]?.push(e); adj[x.j]?.push(e) }
  }
  return adj
}

/**
 * Greedy cut-vertex repair, within `degree`: while some relay's failure would split the
 * plan, adds the cheapest unused edge that joins two of the pieces it would leave (not
 * touching that relay), one edge per round, until none is left or none fits.
 */
export function coverCutVertices (n: number, edges: Edge[], used: Uint8Array, deg: Int32Array, degree: number): void {
  const stuck = new Uint8Array(n)
  for (let round = 0; round < 4 * n; round++) {
    const adj = adjacency(n, edges, used)
    const cuts = lowLink(n, edges, adj).cuts.filter(c => stuck[c] === 0)
    if (cuts.length === 0) return
    const c = cuts[0] as number
    // The pieces the plan falls into without c.
    const piece = new Int32Array(n).fill(-1)
    let pieces = 0
    for (let s = 0; s < n; s++) {
      if (s === c || piece[s] !== -1) continue
      piece[s] = pieces
      const stack = [s]
      while (stack.length > 0) {
        const v = stack.pop() as number
        for (const e of adj[v] as number[]) {
          const x = edges[e] as Edge
          const w = x.i === v ? x.j : x.i
          if (w !== c && piece[w] === -1) { piece[w] = pieces; stack.push(w) }
        }
      }
      pieces++
    }
    let added = false
    for (let e = 0; e < edges.length; e++) {
      const x = edges[e] as Edge
      if (used[e] === 1 || x.i === c || x.j === c || piece[x.i] === piece[x.j]) continue
      if ((deg[x.i] as number) >= degree || (deg[x.j] as number) >= degree) continue
      used[e] = 1
      deg[x.i] = (deg[x.i] as number) + 1
      deg[x.j] = (deg[x.j] as number) + 1
      added = true
      break
    }
    if (!added) stuck[c] = 1
  }
}
