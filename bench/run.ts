/**
 * `npm run bench` / `slim-mesh bench [SCENARIO] [--json]`: each of our figures beside the
 * floor (plain node:net, bare node:crypto) and the peer (nats-server with its Node
 * client; ts-mls's default provider for MLS), all measured in this run on this machine.
 */
import { setTrust } from './mesh.js'
import { cpus, totalmem, platform, release } from 'node:os'
import { netEchoRoundTrip, netEchoThroughput } from './floor.js'
import { ensureNatsServer, startNats, natsRequestReply, natsFanOut } from './nats-peer.js'
import type { NatsPeer } from './nats-peer.js'
import { oursRequestReply, oursOneToOne, oursFanOut, oursSessionSetup } from './ours.js'
import { measureSealOpen, median } from './mls-crypto.js'
import { controlPropagation } from './control.js'

export interface BenchResult {
  scenario: string
  unit: string
  ours: number
  peer: number | null
  floor: number | null
  /** ours / peer */
  ratio: number | null
  /** What the goal is, and whether this run meets it. */
  goal?: string
  met?: boolean
  note?: string
}

export interface BenchReport {
  machine: { cpu: string, cores: number, memoryGiB: number, node: string, os: string, natsServer: string | null }
  results: BenchResult[]
}

export const SCENARIOS = ['reqrep-1relay', 'reqrep-2relays', 'throughput-1to1', 'fanout-10', 'mls-seal-open', 'mls-add-member', 'relay-loop-delay', 'trust-cost', 'control-propagation'] as const
export type Scenario = typeof SCENARIOS[number]

const r2 = (x: number): number => Math.round(x * 100) / 100

function result (scenario: string, unit: string, ours: number, peer: number | null, floor: number | null, extra: Partial<BenchResult> = {}): BenchResult {
  return { scenario, unit, ours: r2(ours), peer: peer == null ? null : r2(peer), floor: floor == null ? null : r2(floor), ratio: peer == null ? null : r2(ours / peer), ...extra }
}

export async function runBench (options: { only?: string, log?: (s: string) => void } = {}): Promise<BenchReport> {
  const log = options.log ?? (() => {})
  const want = (s: Scenario): boolean => options.only == null || options.only === s || (options.only === 'relay-loop-delay' && (s === 'throughput-1to1' || s === 'fanout-10'))
  if (options.only != null && !(SCENARIOS as readonly string[]).includes(options.only)) {
    throw new Error(`no scenario "${options.only}"; known: ${SCENARIOS.join(', ')}`)
  }
  const results: BenchResult[] = []
  const needsNats = want('reqrep-1relay') || want('reqrep-2relays') || want('throughput-1to1') || want('fanout-10')
  const server = needsNats ? ensureNatsServer(log) : { why: 'not needed' }
  let peer: NatsPeer | undefined
  if (server.path != null) {
    try { peer = await startNats(server.path) } catch (err) { log(`peer unavailable: ${(err as Error).message}`) }
  } else if (needsNats) {
    log(`peer unavailable: ${server.why ?? ''}`)
  }
  const loopDelays: number[] = []
  try {
    if (want('reqrep-1relay') || want('reqrep-2relays')) {
      log('floor: node:net echo round trip ...')
      const floor = await netEchoRoundTrip()
      const natsRR = peer != null ? await natsRequestReply(peer) : null
      if (want('reqrep-1relay')) {
        log('ours: request/reply through one relay ...')
        const ours = await oursRequestReply(1)
        results.push(result('reqrep-1relay', 'us p50', ours, natsRR, floor, { goal: '<= 1.5x NATS', met: natsRR != null ? ours / natsRR <= 1.5 : undefined }))
      }
      if (want('reqrep-2relays')) {
        log('ours: request/reply across two relays ...')
        const ours = await oursRequestReply(2)
        results.push(result('reqrep-2relays', 'us p50', ours, natsRR, floor, { note: 'peer: one nats-server (NATS has no relay hop to match)' }))
      }
    }
    if (want('throughput-1to1')) {
      log('floor: node:net pipelined echo ...')
      const floor = await netEchoThroughput()
      const nats = peer != null ? await natsFanOut(peer, 1, 200_000) : null
      log('ours: one-to-one through one relay, fire and forget ...')
      const fire = await oursOneToOne(false)
      log('ours: one-to-one through one relay, acknowledged ...')
      const acked = await oursOneToOne(true)
      loopDelays.push(fire.loop.p99, acked.loop.p99)
      log(`  relay loop delay p99: ${r2(fire.loop.p99)} ms fire and forget, ${r2(acked.loop.p99)} ms acknowledged`)
      results.push(result('throughput-1to1', 'msg/s', fire.perSecond, nats, floor, { goal: '>= 0.5x NATS', met: nats != null ? fire.perSecond / nats >= 0.5 : undefined, note: 'fire and forget (ack: false), as NATS core publish' }))
      results.push(result('throughput-1to1-acked', 'msg/s', acked.perSecond, nats, floor, { note: 'every message acknowledged by the relay (2,000 in flight); NATS: fire and forget' }))
    }
    if (want('fanout-10')) {
      const nats = peer != null ? await natsFanOut(peer, 10, 50_000) : null
      log('ours: multicast to 10 members on 3 relays, fire and forget ...')
      const fire = await oursFanOut(false)
      log('ours: multicast to 10 members on 3 relays, acknowledged ...')
      const acked = await oursFanOut(true)
      loopDelays.push(fire.loop.p99, acked.loop.p99)
      log(`  relay loop delay p99: ${r2(fire.loop.p99)} ms fire and forget, ${r2(acked.loop.p99)} ms acknowledged`)
      results.push(result('fanout-10', 'deliveries/s', fire.perSecond, nats, null, { goal: '>= 0.25x NATS 1-to-10', met: nats != null ? fire.perSecond / nats >= 0.25 : undefined, note: 'sequenced and archived by the sequencer, in order at every member; 3 relays on 2 cores' }))
      results.push(result('fanout-10-acked', 'deliveries/s', acked.perSecond, nats, null, { note: 'as fanout-10, the publisher also waiting for each acknowledgement (1,000 in flight)' }))
    }
    if (want('mls-seal-open')) {
      log('MLS seal and open ...')
      const m = await measureSealOpen(400)
      const total = (t: { seal: number[], open: number[] }): number => median(t.seal) + median(t.open)
      const ours = total(m.node)
      const floor = total(m.floor)
      results.push(result('mls-seal-open', 'ms', ours, total(m.tsMlsDefault), floor, { goal: '<= 2x the node:crypto floor', met: ours / floor <= 2, note: `peer: ts-mls default provider; ${r2(ours / floor)}x the floor` }))
    }
    if (want('trust-cost')) {
      // The same relays and agents in open mode and with credentials, alternated in one run.
      log('trust: session setup in open mode, then with credentials ...')
      setTrust('open')
      const openSetup = await oursSessionSetup()
      setTrust('credentials')
      const credSetup = await oursSessionSetup()
      log('trust: one-to-one and fan-out in open mode, then with credentials ...')
      setTrust('open')
      const openTp = await oursOneToOne(true)
      const openFan = await oursFanOut(true)
      setTrust('credentials')
      const credTp = await oursOneToOne(true)
      const credFan = await oursFanOut(true)
      results.push(result('session-setup', 'ms p50', credSetup, openSetup, null, { note: 'peer: the same relay in open mode, same run; the difference is what admission costs per session (the agent signs its credential once, the relay checks it once)' }))
      results.push(result('throughput-1to1-acked-credentials', 'msg/s', credTp.perSecond, openTp.perSecond, null, { note: 'peer: open mode, same run; per message only a cached grant lookup' }))
      results.push(result('fanout-10-acked-credentials', 'deliveries/s', credFan.perSecond, openFan.perSecond, null, { note: 'peer: open mode, same run; the remote sequencer gets each publisher\'s credential once' }))
    }
    if (want('control-propagation')) {
      log('control plane: a policy change until every one of 5 relays runs it ...')
      const c = await controlPropagation()
      results.push(result('control-propagation', 'ms p50', c.propagationMs, null, c.pullMs, { goal: '< 2000 ms to every relay', met: c.p99Ms < 2000, note: `operator request to the new generation applied on all 5 relays (push notice, pull, verify, apply); p99 ${r2(c.p99Ms)} ms; floor: one authenticated GET /v1/state` }))
    }
    if (loopDelays.length > 0 && (options.only == null || options.only === 'relay-loop-delay')) {
      const worst = Math.max(...loopDelays)
      results.push(result('relay-loop-delay', 'ms p99', worst, null, null, { goal: '< 20 ms under full load', met: worst < 20, note: 'the busiest relay during throughput-1to1 and fanout-10' }))
    }
  } finally {
    await peer?.stop()
  }
  const cpu = cpus()
  return {
    machine: { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, os: `${platform()} ${release()}`, natsServer: peer?.version ?? null },
    results
  }
}

export function formatTable (report: BenchReport): string {
  const m = report.machine
  const lines = [
    `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, node ${m.node}, ${m.os}; peer: ${m.natsServer ?? 'unavailable'}`,
    '',
    '| scenario | unit | ours | peer | floor | ours/peer | goal | met |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- |'
  ]
  const f = (x: number | null): string => x == null ? '-' : x >= 1000 ? Math.round(x).toLocaleString('en-US') : String(x)
  for (const r of report.results) {
    lines.push(`| ${r.scenario} | ${r.unit} | ${f(r.ours)} | ${f(r.peer)} | ${f(r.floor)} | ${r.ratio == null ? '-' : r.ratio} | ${r.goal ?? ''} | ${r.met == null ? '' : r.met ? 'yes' : 'no'} |`)
  }
  const notes = report.results.filter(r => r.note != null).map(r => `- ${r.scenario}: ${r.note ?? ''}`)
  return [...lines, '', ...notes].join('\n')
}

// `npm run bench`: run everything and print the table.
if (process.argv[1] != null && /bench[/\\]run\.(ts|js)$/.test(process.argv[1])) {
  await import('../src/polyfill.js')
  const only = process.argv[2]
  const report = await runBench({ only, log: s => { process.stderr.write(`${s}\n`) } })
  process.stdout.write(`${formatTable(report)}\n`)
  process.exit(0)
}
