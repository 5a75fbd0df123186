/**
 * What the channel simulation (./channel-sim.ts) reports: `ChannelSimMetrics` (the
 * `metrics.json` of `slim-mesh sim channels`) and the table printed on stdout. Figures
 * that come from the MLS model rather than from the run (Welcome and commit sizes at
 * sizes not measured) say so: they are under `modelled`, and the table marks them.
 */
import type { Percentiles } from './failover-report.js'
import type { ChannelCalibration } from './channel-calibration.js'
import type { CommitFigures, Fork } from './channel-recorder.js'

export type ChannelFault = 'none' | 'crash' | 'partition' | 'both'

export interface ChannelFaultReport {
  kind: 'crash' | 'partition'
  /** The relay crashed, or the relays cut off. */
  relays: number[]
  /** The channels whose sequencer crashed, or (partition) whose sequencer was on the other side of some members. */
  channels: string[]
  startMs: number
  endMs: number
  /** Commits sent to the crashed sequencer in the 3 ms before its crash (crash only). */
  commitsInFlight?: number
  /** From the start of the fault to the first commit acknowledged on an affected channel (crash), or from a member cut off from its channel's sequencer (partition); null: none. */
  unavailableMs: number | null
  /** Partition: commits acknowledged from members cut off from their sequencer while cut off (0 unless a second sequencer took them). */
  ackedWhileCut?: number
  /** Commits requested during the fault, and of those the ones that failed (no ack after the channel machine's attempts, or an error). */
  commitsDuring: number
  failedDuring?: number
}

export interface ChannelSimMetrics {
  scenario: 'channels'
  relays: number
  members: number
  channels: number
  seed: string
  fault: ChannelFault
  /** Traffic time after the channels were built (ms). */
  durationMs: number
  model: {
    mls: string
    calibration: ChannelCalibration
    /** At the largest channel's final size: figures of the fit, not measured. */
    modelled: { channelSize: number, addMs: number, applyMs: number, joinMs: number, updateMs: number, welcomeBytes: number, addCommitBytes: number, commitBytes: number, welcomeOverPayloadLimit: boolean }
  }
  commits: CommitFigures
  joins: { invited: number, joined: number, retried: number, timeToJoinedMs: Percentiles, welcomeToJoinedMs: Percentiles, welcomeSends: number, /** modelled, at the size each Welcome was sent */ welcomeBytes: Percentiles, /** Members added whose Welcome never came: in the roster, never joined (RFC 9420 12.4.3.1: a dead leaf). */ deadLeaves: number, /** Members still waiting to join at the end (at most 10). */ waiting: string[] }
  leaves: { asked: number, left: number, retried: number, timeToLeftMs: Percentiles }
  epochs: Array<{ channel: string, sequencer: number | null, epoch: number, members: number, head: number }>
  /** Two members at the same epoch of a channel with different states. Must be 0. */
  forks: number
  forkSamples: Fork[]
  /** Every member of each channel at the same epoch with the same state, and at the channel's last sequence number. */
  converged: boolean
  messages: { sent: number, read: number, rejected: number, gaps: number, notCaughtUp: number, commitsRefused: number, ownCommitsLost: number }
  faults: ChannelFaultReport[]
  run: { wallMs: number, calibrationWallMs: number, simulatedMs: number, events: number, heapUsedMiB: number }
}

export function formatChannelTable (m: ChannelSimMetrics): string {
  const p = (x: Percentiles): string => x.count === 0 ? 'none' : `p50 ${x.p50} / p99 ${x.p99} / max ${x.max} ms (${x.count})`
  const b = (x: Percentiles): string => x.count === 0 ? 'none' : `p50 ${x.p50} / max ${x.max} bytes`
  const c = m.commits
  const md = m.model.modelled
  const fits = m.model.calibration.fits
  const rows: Array<[string, string]> = [
    ['scenario', `MLS channels, ${m.relays} relays, ${m.members} members in ${m.channels} channels, fault ${m.fault}, seed ${m.seed}`],
    ['model', m.model.mls],
    ['calibration', `ts-mls measured at ${m.model.calibration.sizes.join(', ')} members in ${m.model.calibration.wallMs} ms; add ${fits.addMs.formula}, apply ${fits.applyMs.formula}, join ${fits.joinMs.formula}, Welcome ${fits.welcomeBytes.formula}`],
    ['modelled at size', `${md.channelSize}: add ${md.addMs} ms, apply ${md.applyMs} ms, join ${md.joinMs} ms, Welcome ${md.welcomeBytes} bytes${md.welcomeOverPayloadLimit ? ' (OVER the 1 MiB payload limit)' : ''}, add commit ${md.addCommitBytes} bytes (modelled)`],
    ['commits', `${c.requested} requested, ${c.acked} acked, ${c.failed} failed ${JSON.stringify(c.failures)}; ${c.attempts} sent`],
    ['  latency (all applied)', p(c.latencyMs)],
    ['  latency (committer)', p(c.committerMs)],
    ['  nacks', `${c.nacks} (nack rate ${c.nackRate} per send); retries per commit mean ${c.retries.mean}, p99 ${c.retries.p99}, max ${c.retries.max}`],
    ['  by kind', (['add', 'remove', 'update', 'roles'] as const).map(k => `${k} ${c.byKind[k].acked}/${c.byKind[k].requested} (${c.byKind[k].nacks} nacks, p99 ${c.byKind[k].latencyMs.p99} ms)`).join(', ')],
    ['  not applied by all', String(c.notAppliedByAll)],
    ['joins', `${m.joins.joined}/${m.joins.invited} joined, ${m.joins.retried} invitations retried, ${m.joins.welcomeSends} Welcomes sent, ${m.joins.deadLeaves} dead leaves (added, Welcome lost)`],
    ['  time to joined', p(m.joins.timeToJoinedMs)],
    ...(m.joins.waiting.length > 0 ? [['  still waiting', m.joins.waiting.join('; ')] as [string, string]] : []),
    ['  Welcome to joined', p(m.joins.welcomeToJoinedMs)],
    ['  Welcome size', `${b(m.joins.welcomeBytes)} (modelled)`],
    ['leaves', `${m.leaves.left}/${m.leaves.asked} left, ${m.leaves.retried} retried; ${p(m.leaves.timeToLeftMs)}`],
    ['epochs', m.epochs.map(e => `${e.channel}: epoch ${e.epoch}, ${e.members} members, seq ${e.head}, sequencer relay ${e.sequencer ?? '?'}`).join('; ')],
    ['forks', `${m.forks}${m.forks > 0 ? ` FORKED: ${m.forkSamples.map(f => `${f.channel} epoch ${f.epoch} at ${f.member}`).join(', ')}` : ''}`],
    ['converged', m.converged ? 'yes: every member of each channel at the same epoch and state' : 'NO'],
    ['messages', `${m.messages.sent} sent, ${m.messages.read} reads by members; lost (gaps) ${m.messages.gaps}, not caught up ${m.messages.notCaughtUp}, rejected (old epoch) ${m.messages.rejected}; commits refused ${m.messages.commitsRefused}, own commits lost ${m.messages.ownCommitsLost}`],
    ...m.faults.map((f): [string, string] => [`fault: ${f.kind}`, `relay(s) ${f.relays.length > 6 ? `${f.relays.slice(0, 6).join(',')}... (${f.relays.length})` : f.relays.join(',')} at ${f.startMs}-${f.endMs} ms, channels ${f.channels.join(',') || 'none'}; unavailable ${f.unavailableMs ?? 'n/a'} ms${f.commitsInFlight != null ? `, ${f.commitsInFlight} commits in flight at the crash` : ''}${f.ackedWhileCut != null ? `, ${f.ackedWhileCut} acked from the cut side while cut` : ''}; ${f.commitsDuring} commits requested during it, ${f.failedDuring ?? 0} of them failed`]),
    ['run', `${m.run.wallMs} ms wall (calibration ${m.run.calibrationWallMs} ms), ${m.run.simulatedMs} ms simulated, ${m.run.events} events, heap ${m.run.heapUsedMiB} MiB`]
  ]
  const width = Math.max(...rows.map(r => r[0].length))
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')
}
