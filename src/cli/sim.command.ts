/**
 * `slim-mesh sim TOPOLOGY`: runs one simulation scenario (sims/) and reports its
 * metrics: a table on stdout, `metrics.json` and `plot.svg` in `--out`. A progress bar
 * goes to stderr when stderr is a terminal.
 *
 * `slim-mesh sim control --topology computed`: the control-plane scenario instead
 * (sims/control-sim.ts): a controller planning the links of the relays, a crash and a
 * policy change; a table on stdout and `metrics.json` in `--out`.
 *
 * `slim-mesh sim failover --relays 1000 --names 5000 --crashes 50`: sequencer failover
 * (sims/failover-sim.ts): the real lease book, relays crashing, failover time and the
 * unavailability window per name; a table on stdout and `metrics.json` in `--out`.
 *
 * `slim-mesh sim channels --relays 100 --members 1000 --fault both`: MLS channels
 * (sims/channel-sim.ts) on the real relays and sequencers: joins, leaves, racing
 * commits, a sequencer crash during a commit and a partition; commit latency, nacks,
 * Welcome time, forks (the command fails if there is one); a table on stdout and
 * `metrics.json` in `--out`.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Argument, InvalidArgumentError, Option } from 'commander'
import type { Command } from 'commander'
import { SingleBar, Presets } from 'cli-progress'
import { runScenario } from '../../sims/scenario.js'
import { formatTable } from '../../sims/metrics.js'
import type { Metrics } from '../../sims/metrics.js'
import { plotSvg } from '../../sims/plot.js'
import { TOPOLOGIES } from '../../sims/topologies.js'
import type { TopologyKind } from '../../sims/topologies.js'
import { FAULTS } from '../../sims/engine.js'
import { CONTROL_TOPOLOGIES, runControlSim } from '../../sims/control-sim.js'
import type { ControlTopology } from '../../sims/control-sim.js'
import { formatControlTable } from '../../sims/control-report.js'
import type { ControlSimMetrics } from '../../sims/control-report.js'
import type { EngineKind, FaultKind } from '../../sims/engine.js'
import { runFailoverSim } from '../../sims/failover-sim.js'
import { DEFAULT_FAILOVER_COSTS, formatFailoverTable } from '../../sims/failover-report.js'
import type { FailoverSimCosts, FailoverSimMetrics } from '../../sims/failover-report.js'
import { runChannelSim } from '../../sims/channel-sim.js'
import { formatChannelTable } from '../../sims/channel-report.js'
import type { ChannelFault, ChannelSimMetrics } from '../../sims/channel-report.js'
import { DEFAULT_CALIBRATION_SIZES } from '../../sims/channel-calibration.js'

export interface SimCommandOptions {
  /** Default 10; failover: 1000. */
  relays?: number
  agents?: number
  engine: EngineKind
  /** `both` (a crash and a partition) is for the channels scenario only. */
  fault?: FaultKind | 'both'
  seed: string
  out: string
  duration?: number
  crashTarget?: 'member' | 'sequencer'
  degree?: number
  open?: boolean
  /** The control scenario: how the controller plans links, heartbeat interval, down timeout. */
  topology?: ControlTopology
  heartbeat?: number
  downAfter?: number
  dropGrace?: number
  /** The failover scenario: names, replication, crashes and the modelled constants. */
  names?: number
  replication?: number
  crashes?: number
  pushLatency?: [number, number]
  startCost?: number
  hopDelay?: number
  resendAfter?: number
  archiveMessages?: number
  catchUpPerMessage?: number
  cost?: Partial<FailoverSimCosts>
  /** The channels scenario: members, channels, the group sizes ts-mls is measured at. */
  members?: number
  channels?: number
  calibrate?: number[]
}

const SCENARIOS = ['control', 'failover', 'channels'] as const

/** The epochs of a channel forked: two members at one epoch with different states. */
export class EpochForkError extends Error {
  constructor (message: string) { super(message); this.name = 'EpochForkError' }
}

/** `2,8,32,64`: group sizes, each a whole number >= 2. */
function parseSizes (v: string): number[] {
  const sizes = v.split(',').map(s => Number(s.trim()))
  if (sizes.length < 2 || sizes.some(n => !Number.isInteger(n) || n < 2)) throw new InvalidArgumentError(`--calibrate takes at least two group sizes >= 2, like 2,8,32,64; not "${v}"`)
  return sizes
}

function wholeNonNegative (what: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what} must be a whole number >= 0, not "${v}"`)
    return n
  }
}

function nonNegative (what: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${what} must be a number >= 0, not "${v}"`)
    return n
  }
}

/** `2-10ms` or `5ms` (a fixed value): a uniform range of durations. */
function parseRange (v: string): [number, number] {
  const parts = v.split('-')
  if (parts.length > 2) throw new InvalidArgumentError(`a range is MIN-MAX (like 1-10ms) or one duration, not "${v}"`)
  const unit = /[a-z]+$/.exec(parts[parts.length - 1] as string)?.[0] ?? ''
  const [lo, hi] = parts.map(p => parseDuration(/[a-z]$/.test(p) ? p : p + unit))
  return [lo as number, hi ?? lo as number]
}

/** `--cost name=value`: any constant of the failover model (`FailoverSimCosts`), a number or MIN-MAX. */
function parseCost (v: string, prev: Partial<FailoverSimCosts> = {}): Partial<FailoverSimCosts> {
  const m = /^([A-Za-z]+)=(.+)$/.exec(v)
  const key = m?.[1] as keyof FailoverSimCosts | undefined
  if (m == null || key == null || !(key in DEFAULT_FAILOVER_COSTS)) throw new InvalidArgumentError(`--cost takes NAME=VALUE with NAME one of ${Object.keys(DEFAULT_FAILOVER_COSTS).join(', ')}; not "${v}"`)
  const raw = m[2] as string
  const value = Array.isArray(DEFAULT_FAILOVER_COSTS[key]) ? raw.split('-').map(Number) : Number(raw)
  if ([value].flat().some(x => !Number.isFinite(x) || x < 0) || (Array.isArray(value) && value.length !== 2)) throw new InvalidArgumentError(`--cost ${key} takes ${Array.isArray(DEFAULT_FAILOVER_COSTS[key]) ? 'MIN-MAX (ms)' : 'a number >= 0'}, not "${raw}"`)
  return { ...prev, [key]: value }
}

function positiveInt (what: string) {
  return (v: string): number => {
    const n = Number(v)
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${what} must be a whole number >= 1, not "${v}"`)
    return n
  }
}

/** `10s`, `1.5m`, `2500ms` or a bare number of milliseconds. */
export function parseDuration (v: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(v.trim())
  if (m == null) throw new InvalidArgumentError(`a duration is a number with ms, s or m (like 10s or 2500ms), not "${v}"`)
  const n = Number(m[1])
  return Math.round(m[2] === 's' ? n * 1000 : m[2] === 'm' ? n * 60_000 : n)
}

export function registerSimCommand (program: Command): void {
  program.command('sim')
    .description('run a simulation scenario of a relay mesh and report delivery, order, latency, convergence and memory')
    .addArgument(new Argument('<topology>', 'how the relays are linked, "control" for the control-plane scenario, "failover" for sequencer failover, or "channels" for MLS channels').choices([...TOPOLOGIES, ...SCENARIOS]))
    .option('--relays <n>', 'number of relays (default 10; failover: 1000; channels: 100)', positiveInt('--relays'))
    .option('--agents <n>', 'number of agents (default: 5 per relay, at least 12)', positiveInt('--agents'))
    .addOption(new Option('--engine <engine>', 'simulated time, or real relays on 127.0.0.1').choices(['simulated', 'real']).default('simulated'))
    .addOption(new Option('--fault <fault>', 'a fault in the middle of the traffic (channels: crash, partition or both)').choices([...FAULTS, 'both']))
    .addOption(new Option('--crash-target <which>', 'with --fault crash: a relay that sequences nothing, or the first channel\'s sequencer').choices(['member', 'sequencer']))
    .option('--seed <seed>', 'seed of the simulation\'s random choices', '1')
    .option('--out <dir>', 'where metrics.json and plot.svg are written', './sim-out')
    .option('--duration <time>', 'traffic time, like 10s or 2500ms (default 10s simulated, 4s real)', parseDuration)
    .option('--degree <n>', 'links per relay in the random topology (default 4)', positiveInt('--degree'))
    .option('--open', 'simulated engine: run without credentials (open mode), to compare with the default, credentials on')
    .addOption(new Option('--topology <kind>', 'control: the topology the controller plans').choices(CONTROL_TOPOLOGIES).default('computed'))
    .option('--heartbeat <time>', `control: heartbeat interval (default 1s); failover: default ${DEFAULT_FAILOVER_COSTS.heartbeatMs}ms, the controller's`, parseDuration)
    .option('--down-after <time>', `control: silence after which a relay is marked down (default 3 heartbeats); failover: default ${DEFAULT_FAILOVER_COSTS.downAfterMs}ms, the controller's`, parseDuration)
    .option('--drop-grace <time>', 'control: relays drop unplanned links this long after their new dials (make before break; default 0: at once)', parseDuration)
    .option('--names <n>', 'failover: multicast names, each with a sequencer lease (default 5000)', positiveInt('--names'))
    .option('--replication <n>', 'failover: relays that keep each name\'s archive, the sequencer included (default 2)', positiveInt('--replication'))
    .option('--crashes <k>', 'failover: relays killed at random times, half of them restarted later (default 50)', wholeNonNegative('--crashes'))
    .option('--push-latency <range>', `failover: a lease push to its relay, uniform, like 1-10ms (default ${DEFAULT_FAILOVER_COSTS.pushMs.join('-')}ms)`, parseRange)
    .option('--start-cost <time>', `failover: a new holder starting one name's sequencer (default ${DEFAULT_FAILOVER_COSTS.startMs}ms)`, parseDuration)
    .option('--hop-delay <time>', `failover: one hop of the claim announcement over the relay graph (default ${DEFAULT_FAILOVER_COSTS.hopMs}ms)`, parseDuration)
    .option('--resend-after <time>', `failover: publishers' relays resend an unacknowledged submission (default ${DEFAULT_FAILOVER_COSTS.resendAfterMs}ms, the relay's resendAfterMs)`, parseDuration)
    .option('--archive-messages <n>', `failover: mean messages per name's archive (default ${DEFAULT_FAILOVER_COSTS.archiveMessages})`, wholeNonNegative('--archive-messages'))
    .option('--catch-up-per-message <ms>', `failover: a replacement replica's catch-up per archived message (default ${DEFAULT_FAILOVER_COSTS.catchUpPerMessageMs} ms)`, nonNegative('--catch-up-per-message'))
    .option('--cost <name=value>', 'failover: any other constant of the model (sims/failover-report.ts, FailoverSimCosts), repeatable', parseCost)
    .option('--members <n>', 'channels: members in all (default 1000)', positiveInt('--members'))
    .option('--channels <n>', 'channels: how many channels the members are split over (default: one per 250 members)', positiveInt('--channels'))
    .option('--calibrate <sizes>', `channels: group sizes at which ts-mls is measured to fit the MLS costs (default ${DEFAULT_CALIBRATION_SIZES.join(',')})`, parseSizes)
    .action(async (topology: TopologyKind | typeof SCENARIOS[number], opts: SimCommandOptions) => {
      if (topology === 'channels') {
        const m = await runChannelSimCommand(opts)
        console.log(formatChannelTable(m))
        console.log(`\nwrote ${join(opts.out, 'metrics.json')}`)
        if (m.forks > 0 || !m.converged) throw new EpochForkError(m.forks > 0 ? `${m.forks} epoch forks: members of a channel hold different states at the same epoch` : 'the channels did not converge: members end at different epochs or sequence numbers')
        return
      }
      if (opts.fault === 'both') throw new InvalidArgumentError('--fault both (a crash and a partition) is for "sim channels"; give one fault')
      if (topology === 'failover') {
        const m = await runFailoverSimCommand(opts)
        console.log(formatFailoverTable(m))
        console.log(`\nwrote ${join(opts.out, 'metrics.json')}`)
        return
      }
      if (topology === 'control') {
        const m = await runControlSimCommand(opts)
        console.log(formatControlTable(m))
        console.log(`\nwrote ${join(opts.out, 'metrics.json')}`)
        return
      }
      const metrics = await runSim(topology, opts)
      console.log(formatTable(metrics))
      console.log(`\nwrote ${join(opts.out, 'metrics.json')} and ${join(opts.out, 'plot.svg')}`)
    })
}

/** Runs the scenario, writes `metrics.json` and `plot.svg` to `opts.out`; returns the metrics. */
export async function runSim (topology: TopologyKind, opts: SimCommandOptions): Promise<Metrics> {
  const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: 'sim [{bar}] {percentage}% {phase}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic) : undefined
  bar?.start(1000, 0, { phase: 'building' })
  let metrics: Metrics
  try {
    metrics = await runScenario({
      topology,
      relays: opts.relays ?? 10,
      agents: opts.agents ?? Math.max(12, (opts.relays ?? 10) * 5),
      engine: opts.engine,
      fault: opts.fault as FaultKind | undefined,
      seed: opts.seed,
      durationMs: opts.duration,
      crashTarget: opts.crashTarget,
      degree: opts.degree,
      ...(opts.open === true ? { simulated: { trust: false } } : {}),
      onProgress: (fraction, phase) => { bar?.update(Math.round(fraction * 1000), { phase }) }
    })
  } finally {
    bar?.stop()
  }
  const dir = resolve(opts.out)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n')
  await writeFile(join(dir, 'plot.svg'), plotSvg(metrics))
  return metrics
}

/** The control-plane scenario: runs it and writes `metrics.json` to `opts.out`. */
export async function runControlSimCommand (opts: SimCommandOptions): Promise<ControlSimMetrics> {
  const metrics = await runControlSim({
    relays: opts.relays ?? 10,
    topology: opts.topology ?? 'computed',
    seed: opts.seed,
    heartbeatMs: opts.heartbeat,
    downAfterMs: opts.downAfter,
    degree: opts.degree,
    ...(opts.dropGrace != null ? { costs: { dropGraceMs: opts.dropGrace } } : {})
  })
  const dir = resolve(opts.out)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n')
  return metrics
}

/** The MLS channels scenario: runs it and writes `metrics.json` to `opts.out`. */
export async function runChannelSimCommand (opts: SimCommandOptions): Promise<ChannelSimMetrics> {
  if (opts.fault != null && !['crash', 'partition', 'both'].includes(opts.fault)) throw new InvalidArgumentError(`sim channels injects crash, partition or both, not "${opts.fault}"`)
  const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: 'sim channels [{bar}] {percentage}% {phase}', hideCursor: true, clearOnComplete: true }, Presets.shades_classic) : undefined
  bar?.start(1000, 0, { phase: 'calibrating' })
  let metrics: ChannelSimMetrics
  try {
    metrics = await runChannelSim({
      relays: opts.relays ?? 100,
      members: opts.members ?? 1000,
      channels: opts.channels,
      seed: opts.seed,
      fault: (opts.fault ?? 'none') as ChannelFault,
      durationMs: opts.duration,
      degree: opts.degree,
      calibrateSizes: opts.calibrate,
      onProgress: (fraction, phase) => { bar?.update(Math.round(fraction * 1000), { phase }) }
    })
  } finally {
    bar?.stop()
  }
  const dir = resolve(opts.out)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n')
  return metrics
}

/** The sequencer-failover scenario: runs it and writes `metrics.json` to `opts.out`. */
export async function runFailoverSimCommand (opts: SimCommandOptions): Promise<FailoverSimMetrics> {
  const set = <K extends keyof FailoverSimCosts>(k: K, v: FailoverSimCosts[K] | undefined): Partial<FailoverSimCosts> => v == null ? {} : { [k]: v }
  const metrics = await runFailoverSim({
    relays: opts.relays ?? 1000,
    names: opts.names ?? 5000,
    replication: opts.replication ?? 2,
    crashes: opts.crashes ?? 50,
    seed: opts.seed,
    costs: {
      ...opts.cost,
      ...set('heartbeatMs', opts.heartbeat),
      ...set('downAfterMs', opts.downAfter),
      ...set('degree', opts.degree),
      ...set('pushMs', opts.pushLatency),
      ...set('startMs', opts.startCost),
      ...set('hopMs', opts.hopDelay),
      ...set('resendAfterMs', opts.resendAfter),
      ...set('archiveMessages', opts.archiveMessages),
      ...set('catchUpPerMessageMs', opts.catchUpPerMessage)
    }
  })
  const dir = resolve(opts.out)
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n')
  return metrics
}
