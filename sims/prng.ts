/**
 * A small seeded PRNG (mulberry32) for simulations: the same seed gives the same
 * sequence on every machine, so a simulated run is reproducible. Not for cryptography.
 */
export interface Rng {
  /** A float in [0, 1). */
  next: () => number
  /** An integer in [0, n). */
  int: (n: number) => number
  /** An exponentially distributed delay with the given mean (Poisson arrivals). */
  exp: (mean: number) => number
  /** True with probability p. */
  chance: (p: number) => boolean
  pick: <T>(items: readonly T[]) => T
  shuffle: <T>(items: T[]) => T[]
  /** An independent generator derived from this one and a label. */
  fork: (label: string) => Rng
}

/** Hashes a string or number to a 32-bit seed (FNV-1a). */
export function seedOf (seed: string | number): number {
  const s = String(seed)
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

export function createRng (seed: string | number): Rng {
  let state = seedOf(seed)
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const rng: Rng = {
    next,
    int: (n) => Math.floor(next() * n),
    exp: (mean) => -Math.log(1 - next()) * mean,
    chance: (p) => p > 0 && next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list')
      return items[Math.floor(next() * items.length)] as (typeof items)[number]
    },
    shuffle: (items) => {
      for (let i = items.length - 1; i > 0; i--) {
        const j = Math.floor(next() * (i + 1))
        const t = items[i] as (typeof items)[number]
        items[i] = items[j] as (typeof items)[number]
        items[j] = t
      }
      return items
    },
    fork: (label) => createRng(`${state}:${label}`)
  }
  return rng
}
