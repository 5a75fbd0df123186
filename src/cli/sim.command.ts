/**
 * `slim-mesh sim TOPOLOGY`: runs one simulation scenario (sims/) and reports its
 * metrics: a table on stdout, `metrics.json` and `plot.svg` in `--out`. A progress bar
 * goes to stderr when stderr is a terminal.
 *
 * `slim-mesh sim control --topology computed`: the control-plane scenario instead
 * (sims/control-sim.ts): a controller planning the links of the relays, a crash and a
 * policy change; a table on stdout and `metrics.json` in `--out`.
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

export interface SimCommandOptions {
  relays: number
  agents?: number
  engine: EngineKind
  fault?: FaultKind
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
    .addArgument(new Argument('<topology>', 'how the relays are linked, or "control" for the control-plane scenario').choices([...TOPOLOGIES, 'control']))
    .option('--relays <n>', 'number of relays', positiveInt('--relays'), 10)
    .option('--agents <n>', 'number of agents (default: 5 per relay, at least 12)', positiveInt('--agents'))
    .addOption(new Option('--engine <engine>', 'simulated time, or real relays on 127.0.0.1').choices(['simulated', 'real']).default('simulated'))
    .addOption(new Option('--fault <fault>', 'a fault in the middle of the traffic').choices(FAULTS))
    .addOption(new Option('--crash-target <which>', 'with --fault crash: a relay that sequences nothing, or the first channel\'s sequencer').choices(['member', 'sequencer']))
    .option('--seed <seed>', 'seed of the simulation\'s random choices', '1')
    .option('--out <dir>', 'where metrics.json and plot.svg are written', './sim-out')
    .option('--duration <time>', 'traffic time, like 10s or 2500ms (default 10s simulated, 4s real)', parseDuration)
    .option('--degree <n>', 'links per relay in the random topology (default 4)', positiveInt('--degree'))
    .option('--open', 'simulated engine: run without credentials (open mode), to compare with the default, credentials on')
    .addOption(new Option('--topology <kind>', 'control: the topology the controller plans').choices(CONTROL_TOPOLOGIES).default('computed'))
    .option('--heartbeat <time>', 'control: heartbeat interval (default 1s)', parseDuration)
    .option('--down-after <time>', 'control: silence after which a relay is marked down (default 3 heartbeats)', parseDuration)
    .option('--drop-grace <time>', 'control: relays drop unplanned links this long after their new dials (make before break; default 0: at once)', parseDuration)
    .action(async (topology: TopologyKind | 'control', opts: SimCommandOptions) => {
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
      relays: opts.relays,
      agents: opts.agents ?? Math.max(12, opts.relays * 5),
      engine: opts.engine,
      fault: opts.fault,
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
    relays: opts.relays,
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
