/**
 * The MLS costs the channel simulation (./channel-sim.ts) models, measured in the same
 * run on the real `MlsGroup` (src/channel/group.ts over ts-mls, the default suite
 * MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519, members with bare-name credentials) at
 * small group sizes, then fitted and extrapolated to the simulated channels' sizes.
 *
 * At each size n (the group has n members when the operation starts) it measures, with
 * wall-clock time on this machine:
 * - `updateMs`, `removeMs`, `addMs`: building a self-update, a remove, an add commit
 *   (`buildUpdate`, `buildRemove`, `buildAdd`: with its Welcome and the ratchet tree);
 * - `applyMs`: another member applying a commit (`applyCommit`), the mean over the
 *   update, the add and the remove;
 * - `joinMs`: the joiner's `MlsGroup.join` from the add's Welcome;
 * - `keyPackageMs`: making a key package (the joiner's answer to a JoinRequest);
 * - `sealMs`, `openMs`: one application message;
 * - `commitBytes` (update), `addCommitBytes`, `welcomeBytes`, `keyPackageBytes`.
 *
 * Each is the median of 3 repetitions, after two warm-up rounds that are not counted.
 * Only two members hold state (the builder and one observer who applies every commit);
 * the others are leaves added from key packages, which is all a commit's cost depends on.
 * Between sizes the group grows by one commit adding many key packages.
 *
 * Each quantity is fitted as y(n) = a + b·log2(n) + c·n by least squares with a, b, c
 * >= 0 (every subset of the three terms is tried; the best fit with no negative
 * coefficient wins): log2(n) is the cost of a commit's path, n that of the tree (hashes,
 * the ratchet tree in the Welcome). Figures at other sizes are modelled, not measured.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { agentNameForKey } from '../src/names/identity.js'
import { decodeWelcome, makeKeyPackage, MlsGroup } from '../src/channel/group.js'
import type { LocalMember } from '../src/channel/group.js'
import { DEFAULT_SUITE } from '../src/channel/suites.js'
import { round } from './metrics.js'

export const COST_QUANTITIES = ['addMs', 'updateMs', 'removeMs', 'applyMs', 'joinMs', 'keyPackageMs', 'sealMs', 'openMs', 'commitBytes', 'addCommitBytes', 'welcomeBytes', 'keyPackageBytes'] as const
export type CostQuantity = typeof COST_QUANTITIES[number]

export type CalibrationPoint = { n: number } & Record<CostQuantity, number>

export interface CostFit {
  /** y = a + b·log2(n) + c·n */
  a: number
  b: number
  c: number
  /** The fit as text, like `0.8 + 0.31·log2 n + 0.004·n ms`. */
  formula: string
  /** The largest relative error of the fit at the measured sizes. */
  maxRelError: number
}

export interface ChannelCalibration {
  suite: string
  sizes: number[]
  /** What was measured, per size. */
  points: CalibrationPoint[]
  fits: Record<CostQuantity, CostFit>
  /** Wall time the measurement took (ms). */
  wallMs: number
}

export const DEFAULT_CALIBRATION_SIZES = [2, 8, 32, 64]
/** Repetitions of each measurement per size; the median is kept. */
const REPS = 3
const enc = new TextEncoder()

/** The modelled value of `q` at group size `n` (never below zero). */
export function modelled (cal: ChannelCalibration, q: CostQuantity, n: number): number {
  const f = cal.fits[q]
  const x = Math.max(1, n)
  return Math.max(0, f.a + f.b * Math.log2(x) + f.c * x)
}

async function member (): Promise<LocalMember> {
  const identity = await generateKeyPair('Ed25519')
  return { name: agentNameForKey('sim/calibrate/m', identity.publicKey), identity }
}

async function timed<T> (f: () => Promise<T> | T): Promise<[T, number]> {
  const t = performance.now()
  const v = await f()
  return [v, performance.now() - t]
}

/** Measures the real MLS costs at `sizes` (each >= 2) and fits them. */
export async function calibrate (sizes: number[] = DEFAULT_CALIBRATION_SIZES): Promise<ChannelCalibration> {
  const wall0 = performance.now()
  const list = [...new Set(sizes)].sort((a, b) => a - b)
  if (list.length < 2 || list.some(n => !Number.isInteger(n) || n < 2)) throw new RangeError(`calibration sizes are at least two whole numbers >= 2, not ${sizes.join(',')}`)
  const alice = await member()
  const bob = await member()
  const a = await MlsGroup.create('sim/calibrate/group', alice, DEFAULT_SUITE)
  const bobKp = await makeKeyPackage(bob, DEFAULT_SUITE)
  const first = await a.buildAdd(bobKp.bytes)
  a.applyOwn(first)
  const b = await MlsGroup.join(decodeWelcome(first.welcome as Uint8Array), bobKp.publicPackage, bobKp.privatePackage, bob.name)
  // Warm-up (JIT, the suite's key caches): not counted.
  for (let r = 0; r < 2; r++) await cycle(a, b, 2)
  const points: CalibrationPoint[] = []
  for (const n of list) {
    // Grow to n members in one commit of many adds.
    if (a.members.length < n) {
      const kps = []
      for (let k = a.members.length; k < n; k++) kps.push((await makeKeyPackage(await member(), DEFAULT_SUITE)).bytes)
      const grow = await a.buildAddAll(kps)
      a.applyOwn(grow)
      await b.applyCommit(grow.bytes)
    }
    const reps: CalibrationPoint[] = []
    for (let r = 0; r < REPS; r++) reps.push(await cycle(a, b, n))
    points.push(median(n, reps))
  }
  const fits = Object.fromEntries(COST_QUANTITIES.map(q => [q, fit(points.map(p => p.n), points.map(p => p[q]), q.endsWith('Bytes') ? 'bytes' : 'ms')])) as Record<CostQuantity, CostFit>
  return {
    suite: DEFAULT_SUITE,
    sizes: list,
    points: points.map(p => Object.fromEntries(Object.entries(p).map(([k, v]) => [k, round(v, 3)])) as CalibrationPoint),
    fits,
    wallMs: Math.round(performance.now() - wall0)
  }
}

/** Each operation once at n members: an update, an add (n -> n+1) with its Welcome and join, a remove (n+1 -> n), a message. */
async function cycle (a: MlsGroup, b: MlsGroup, n: number): Promise<CalibrationPoint> {
  const [up, updateMs] = await timed(async () => await a.buildUpdate())
  a.applyOwn(up)
  const [, applyUpdate] = await timed(async () => await b.applyCommit(up.bytes))
  const joiner = await member()
  const [kp, keyPackageMs] = await timed(async () => await makeKeyPackage(joiner, DEFAULT_SUITE))
  const [add, addMs] = await timed(async () => await a.buildAdd(kp.bytes))
  a.applyOwn(add)
  const [, applyAdd] = await timed(async () => await b.applyCommit(add.bytes))
  const welcome = add.welcome as Uint8Array
  const [j, joinMs] = await timed(async () => await MlsGroup.join(decodeWelcome(welcome), kp.publicPackage, kp.privatePackage, joiner.name))
  const [rm, removeMs] = await timed(async () => await a.buildRemove(joiner.name))
  a.applyOwn(rm)
  const [, applyRemove] = await timed(async () => await b.applyCommit(rm.bytes))
  await j.applyCommit(rm.bytes).catch(() => {})
  const [sealed, sealMs] = await timed(async () => await a.seal(enc.encode('calibration message')))
  const [, openMs] = await timed(async () => await b.open(sealed))
  if (a.members.length !== n || b.epoch !== a.epoch) throw new Error(`calibration at ${n} members went wrong: ${a.members.length} members, epochs ${a.epoch}/${b.epoch}`)
  return {
    n,
    addMs,
    updateMs,
    removeMs,
    applyMs: (applyUpdate + applyAdd + applyRemove) / 3,
    joinMs,
    keyPackageMs,
    sealMs,
    openMs,
    commitBytes: up.bytes.byteLength,
    addCommitBytes: add.bytes.byteLength,
    welcomeBytes: welcome.byteLength,
    keyPackageBytes: kp.bytes.byteLength
  }
}

/** Each quantity's median over the repetitions. */
function median (n: number, reps: CalibrationPoint[]): CalibrationPoint {
  const out = { n } as CalibrationPoint
  for (const q of COST_QUANTITIES) {
    const v = reps.map(r => r[q]).sort((x, y) => x - y)
    out[q] = v[Math.floor(v.length / 2)] as number
  }
  return out
}

/** Non-negative least squares of y = a + b·log2(n) + c·n over every subset of the terms. */
export function fit (ns: number[], ys: number[], unit: string): CostFit {
  const basis = [(_: number) => 1, (n: number) => Math.log2(n), (n: number) => n]
  let best: { coef: number[], sse: number } | undefined
  for (let mask = 1; mask < 8; mask++) {
    const terms = [0, 1, 2].filter(i => (mask & (1 << i)) !== 0)
    const coef = solve(terms.map(i => ns.map(basis[i] as (n: number) => number)), ys)
    if (coef == null || coef.some(c => c < 0)) continue
    const full = [0, 0, 0]
    terms.forEach((t, k) => { full[t] = coef[k] as number })
    const sse = ns.reduce((s, n, k) => s + (predict(full, n) - (ys[k] as number)) ** 2, 0)
    if (best == null || sse < best.sse - 1e-12) best = { coef: full, sse }
  }
  const coef = best?.coef ?? [Math.max(0, ys.reduce((s, y) => s + y, 0) / Math.max(1, ys.length)), 0, 0]
  const [a, b, c] = coef as [number, number, number]
  const maxRelError = ns.reduce((m, n, k) => Math.max(m, Math.abs(predict(coef, n) - (ys[k] as number)) / Math.max(1e-9, Math.abs(ys[k] as number))), 0)
  const digits = unit === 'bytes' ? 1 : 4
  const parts = [a > 0 ? `${round(a, digits)}` : '', b > 0 ? `${round(b, digits)}·log2 n` : '', c > 0 ? `${round(c, digits)}·n` : ''].filter(p => p !== '')
  return { a: round(a, 6), b: round(b, 6), c: round(c, 6), formula: `${parts.length > 0 ? parts.join(' + ') : '0'} ${unit}`, maxRelError: round(maxRelError, 3) }
}

function predict (coef: number[], n: number): number {
  return (coef[0] as number) + (coef[1] as number) * Math.log2(n) + (coef[2] as number) * n
}

/** Least squares by the normal equations (Gaussian elimination); undefined if singular. */
function solve (columns: number[][], ys: number[]): number[] | undefined {
  const k = columns.length
  const m: number[][] = Array.from({ length: k }, (_, i) => [
    ...Array.from({ length: k }, (_, j) => dot(columns[i] as number[], columns[j] as number[])),
    dot(columns[i] as number[], ys)
  ])
  for (let col = 0; col < k; col++) {
    let piv = col
    for (let r = col + 1; r < k; r++) if (Math.abs((m[r] as number[])[col] as number) > Math.abs((m[piv] as number[])[col] as number)) piv = r
    if (Math.abs((m[piv] as number[])[col] as number) < 1e-12) return undefined
    ;[m[col], m[piv]] = [m[piv] as number[], m[col] as number[]]
    const row = m[col] as number[]
    for (let r = 0; r < k; r++) {
      if (r === col) continue
      const other = m[r] as number[]
      const f = (other[col] as number) / (row[col] as number)
      for (let c = col; c <= k; c++) other[c] = (other[c] as number) - f * (row[c] as number)
    }
  }
  return m.map((row, i) => (row[k] as number) / (row[i] as number))
}

function dot (x: number[], y: number[]): number {
  let s = 0
  for (let i = 0; i < x.length; i++) s += (x[i] as number) * (y[i] as number)
  return s
}
