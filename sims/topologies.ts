/**
 * Relay topologies for simulations, as undirected edge lists over relay indexes
 * 0..n-1. `random` is a random regular graph (seeded), built by the pairing method with
 * restarts and kept only if connected.
 */
import type { Rng } from './prng.js'

export const TOPOLOGIES = ['line', 'ring', 'star', 'mesh', 'random', 'two-meshes'] as const
export type TopologyKind = typeof TOPOLOGIES[number]

export interface Topology {
  kind: TopologyKind
  relays: number
  edges: Array<[number, number]>
}

export interface TopologyOptions {
  /** Degree of the `random` topology (default 4, at most relays - 1). */
  degree?: number
}

export function buildTopology (kind: TopologyKind, n: number, rng: Rng, options: TopologyOptions = {}): Topology {
  if (!Number.isInteger(n) || n < 1) throw new Error(`a topology needs a whole number of relays >= 1, not ${n}`)
  const edges: Array<[number, number]> = []
  const fullMesh = (from: number, to: number): void => {
    for (let a = from; a < to; a++) for (let b = a + 1; b < to; b++) edges.push([a, b])
  }
  switch (kind) {
    case 'line':
      for (let i = 1; i < n; i++) edges.push([i - 1, i])
      break
    case 'ring':
      for (let i = 1; i < n; i++) edges.push([i - 1, i])
      if (n > 2) edges.push([n - 1, 0])
      break
    case 'star':
      for (let i = 1; i < n; i++) edges.push([0, i])
      break
    case 'mesh':
      fullMesh(0, n)
      break
    case 'two-meshes': {
      if (n < 2) throw new Error('two-meshes needs at least 2 relays')
      const half = Math.ceil(n / 2)
      fullMesh(0, half)
      fullMesh(half, n)
      edges.push([half - 1, half])
      break
    }
    case 'random':
      edges.push(...randomRegular(n, Math.min(options.degree ?? 4, n - 1), rng))
      break
  }
  return { kind, relays: n, edges }
}

/** A connected random d-regular graph (d*n must be even; d is lowered by one if not). */
function randomRegular (n: number, d: number, rng: Rng): Array<[number, number]> {
  if (n <= 1 || d <= 0) return []
  if (d >= n - 1) {
    const all: Array<[number, number]> = []
    for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) all.push([a, b])
    return all
  }
  if ((n * d) % 2 === 1) d -= 1
  for (let attempt = 0; attempt < 1000; attempt++) {
    const edges = tryPairing(n, d, rng)
    if (edges != null && isConnected(n, edges)) return edges
  }
  throw new Error(`could not build a connected random ${d}-regular graph on ${n} relays`)
}

/** Pairs free stubs of distinct, not yet adjacent vertices; undefined when stuck. */
function tryPairing (n: number, d: number, rng: Rng): Array<[number, number]> | undefined {
  const free = new Array<number>(n).fill(d)
  const adj = Array.from({ length: n }, () => new Set<number>())
  const open: number[] = Array.from({ length: n }, (_, i) => i)
  const edges: Array<[number, number]> = []
  while (open.length > 0) {
    // Pick two distinct vertices with free stubs, weighted uniformly over vertices.
    let placed = false
    for (let tries = 0; tries < 50 && !placed; tries++) {
      const ia = rng.int(open.length)
      const ib = rng.int(open.length)
      const a = open[ia] as number
      const b = open[ib] as number
      if (a === b || adj[a]?.has(b) === true) continue
      adj[a]?.add(b)
      adj[b]?.add(a)
      edges.push(a < b ? [a, b] : [b, a])
      free[a] = (free[a] as number) - 1
      free[b] = (free[b] as number) - 1
      for (const v of [a, b]) {
        if (free[v] === 0) {
          const k = open.indexOf(v)
          open[k] = open[open.length - 1] as number
          open.pop()
        }
      }
      placed = true
    }
    if (!placed) return undefined
  }
  return edges
}

export function isConnected (n: number, edges: Array<[number, number]>): boolean {
  if (n <= 1) return true
  const adj = adjacency(n, edges)
  const seen = new Uint8Array(n)
  const stack = [0]
  seen[0] = 1
  let count = 1
  while (stack.length > 0) {
    const v = stack.pop() as number
    for (const w of adj[v] ?? []) {
      if (seen[w] === 0) { seen[w] = 1; count++; stack.push(w) }
    }
  }
  return count === n
}

export function adjacency (n: number, edges: Array<[number, number]>): number[][] {
  const adj = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of edges) { adj[a]?.push(b); adj[b]?.push(a) }
  return adj
}
