/**
 * MLS channels on the simulated engine (`slim-mesh sim channels`): the real relays
 * (`RelayCore` with its forwarding table, multicast plane and XState sequencers, each
 * on a `MemoryStore`, ./simulated-engine.ts) order the channels' commits and nack the
 * stale ones; the members (./channel-member.ts) run the real agent core, the real
 * channel machine and the real invite and leave machines, over a model of MLS whose
 * costs are measured on real ts-mls in the same run (./channel-calibration.ts).
 *
 * What happens, on simulated time (random regular relay graph, `degree` 4, 2 ms links):
 * 1. Every member's agent attaches to a random relay (each channel's owner to a distinct
 *    relay of the first half, whose relay then sequences the channel).
 * 2. Each owner creates its channel, invites its admins one at a time and names them
 *    admins (a roles commit); then joins arrive at `joinRate` per second per channel,
 *    spread over the owner and the admins, who invite concurrently: adds from different
 *    admins race for the same epoch, the sequencer takes one and nacks the others, which
 *    catch up and rebuild (the channel machine's retry).
 * 3. Traffic for `durationMs`: late joins, leaves (a LeaveRequest to the owner or an
 *    admin, who commits the removal), self-updates, bursts of `burstSize` members
 *    updating at the same instant, and application messages.
 * 4. Faults: `crash`: at 30% a burst on the first channel, and 3 ms later its sequencer's
 *    relay crashes (commits in flight to it), back after 1 s on its store; `partition`:
 *    the second half of the relays cut off from 55% to 75%; `both`: both.
 * 5. The run drains until every commit, join and leave has settled and every member is
 *    caught up (at most 60 s more), then checks: no two members of a channel ever held
 *    different states at the same epoch (forks), and every member ends at the same epoch
 *    and state and the channel's last sequence number.
 *
 * The relays run in open mode (no credentials): the members are not the engine's own
 * agents (those publish plain messages only), so their sessions are admitted without a
 * credential of the engine's mesh; the sequencers still enforce the channels' roles.
 */
import { SimulatedEngine } from './simulated-engine.js'
import type { SimAgentHost } from './sim-session.js'
import { buildTopology } from './topologies.js'
import { createRng } from './prng.js'
import type { Rng } from './prng.js'
import { round } from './metrics.js'
import { calibrate, DEFAULT_CALIBRATION_SIZES, modelled } from './channel-calibration.js'
import type { ChannelCalibration } from './channel-calibration.js'
import { ChannelRecorder } from './channel-recorder.js'
import { ChannelMember } from './channel-member.js'
import type { ChannelMemberHost } from './channel-member.js'
import { invite, leave } from './channel-protocols.js'
import type { ChannelFault, ChannelFaultReport, ChannelSimMetrics } from './channel-report.js'
import { MAX_PAYLOAD_BYTES } from '../src/wire/constants.js'

export interface ChannelSimOptions {
  relays?: number
  members?: number
  /** Default: one per 250 members. */
  channels?: number
  /** Admins per channel besides its owner (default 3). */
  admins?: number
  seed?: string | number
  fault?: ChannelFault
  /** Traffic time after the channels are built (default 20 s). */
  durationMs?: number
  degree?: number
  /** A calibration to reuse (tests); otherwise measured now at `calibrateSizes`. */
  calibration?: ChannelCalibration
  calibrateSizes?: number[]
  /** Per channel: joins per second while the channels are built (100), and during the traffic: self-updates (2), leaves (0.5) and messages (5) per second. */
  joinRate?: number
  updateRate?: number
  leaveRate?: number
  messageRate?: number
  /** Members that join during the traffic rather than while the channels are built (0.1). */
  lateJoinFraction?: number
  /** A burst of `burstSize` members updating at once, every `burstEveryMs` per channel (5, 2000). */
  burstSize?: number
  burstEveryMs?: number
  onProgress?: (fraction: number, phase: string) => void
}

interface Plan {
  name: string
  owner: ChannelMember
  admins: ChannelMember[]
  early: ChannelMember[]
  late: ChannelMember[]
  all: ChannelMember[]
}

const DRAIN_MS = 60_000

export async function runChannelSim (o: ChannelSimOptions = {}): Promise<ChannelSimMetrics> {
  const wall0 = performance.now()
  const n = o.relays ?? 100
  const m = o.members ?? 1000
  const C = o.channels ?? Math.max(1, Math.round(m / 250))
  const A = o.admins ?? 3
  const seed = String(o.seed ?? 1)
  const fault = o.fault ?? 'none'
  const D = o.durationMs ?? 20_000
  const progress = o.onProgress ?? (() => {})
  if (m < C * (A + 2)) throw new RangeError(`${m} members are too few for ${C} channels of an owner, ${A} admins and a member each: give at least ${C * (A + 2)}`)
  if (fault !== 'none' && n < 4) throw new RangeError('a crash or a partition needs at least 4 relays')
  const rng = createRng(`channels:${seed}`)

  progress(0, 'calibrating')
  const cal = o.calibration ?? await calibrate(o.calibrateSizes ?? DEFAULT_CALIBRATION_SIZES)
  const calibrationWallMs = o.calibration != null ? 0 : cal.wallMs

  const engine = new SimulatedEngine({ seed, trust: false })
  const recorder = new ChannelRecorder()
  const faults: ChannelFaultReport[] = []
  try {
    progress(0.05, 'building')
    const topology = buildTopology('random', n, rng.fork('topology'), { degree: o.degree ?? 4 })
    await engine.start({ topology, agents: [] })
    await engine.runUntilTrue(() => engine.routesConverged(), engine.now() + 60_000, 1)
    const agents: SimAgentHost = { scheduler: engine.scheduler, clock: engine.scheduler.clock(), core: i => engine.core(i), now: () => engine.now(), agentLatencyMs: 0.5, reconnectMs: 100, publishTimeoutMs: 30_000 }
    const host: ChannelMemberHost = { agents, recorder, costs: cal, rosters: new Map() }
    const plans = planChannels(n, m, C, A, o.lateJoinFraction ?? 0.1, host, rng.fork('members'))
    const members = plans.flatMap(p => p.all)
    for (const x of members) x.connect()
    await engine.runUntil(engine.now() + 500)

    /** Runs engine time until `p` settles (or the deadline); its outcome, if it settled. */
    const drive = async <T>(p: Promise<T>, ms = 120_000): Promise<T | undefined> => {
      let done = false
      let value: T | undefined
      p.then(v => { done = true; value = v }, () => { done = true })
      await engine.runUntilTrue(() => done, engine.now() + ms, 5)
      return value
    }
    const wait = async (ms: number): Promise<void> => { await new Promise<void>(resolve => { engine.schedule(engine.now() + ms, resolve) }) }
    let stopAt = Infinity
    /** Invites until the joiner is in (a failed invitation is tried again after 500 ms). */
    const inviteUntil = async (manager: ChannelMember, joiner: ChannelMember): Promise<void> => {
      joiner.state = 'invited'
      recorder.invited(joiner.name, engine.now())
      for (;;) {
        if (await invite(manager, joiner.name)) return
        recorder.inviteFailed(joiner.name)
        if (manager.roster.set.has(joiner.name) || engine.now() > stopAt) return
        await wait(500)
      }
    }

    // 2. The channels: owners, admins, roles, then the joins, racing.
    progress(0.1, 'creating channels')
    await drive(Promise.all(plans.map(async p => { await p.owner.create() })))
    await engine.runUntilTrue(() => engine.claimsKnown(plans.map(p => p.name)), engine.now() + 30_000, 5)
    await drive(Promise.all(plans.map(async p => {
      for (const a of p.admins) await inviteUntil(p.owner, a)
      const ticket = recorder.request(p.name, 'roles', p.owner.name, engine.now())
      await p.owner.commit({ kind: 'roles', roles: { owner: p.owner.name, admins: p.admins.map(a => a.name) } }, ticket)
    })))
    progress(0.15, 'joining')
    const joinRate = o.joinRate ?? 100
    const setup: Array<Promise<void>> = []
    for (const p of plans) {
      const managers = [p.owner, ...p.admins]
      let t = engine.now()
      p.early.forEach((j, k) => {
        t += rng.exp(1000 / joinRate)
        setup.push(new Promise<void>(resolve => { engine.schedule(t, () => { void inviteUntil(managers[k % managers.length] as ChannelMember, j).finally(resolve) }) }))
      })
    }
    await drive(Promise.all(setup), 600_000)

    // 3. Traffic, with the faults.
    progress(0.4, 'traffic')
    const T0 = engine.now()
    stopAt = T0 + D + DRAIN_MS
    const tasks: Array<Promise<unknown>> = []
    const at = (t: number, fn: () => Promise<unknown> | void): void => {
      engine.schedule(T0 + t, () => { const r = fn(); if (r != null) tasks.push(r.catch(() => {})) })
    }
    const live = (p: Plan): ChannelMember[] => p.all.filter(x => x.state === 'member' && x.leaving == null)
    const plain = (p: Plan): ChannelMember[] => live(p).filter(x => x !== p.owner && !p.admins.includes(x))
    const trng = rng.fork('traffic')
    const poisson = (rate: number, until: number, fn: () => void, r: Rng): void => {
      if (rate <= 0) return
      for (let t = r.exp(1000 / rate); t < until; t += r.exp(1000 / rate)) at(t, fn)
    }
    for (const p of plans) {
      const managers = [p.owner, ...p.admins]
      const r = trng.fork(p.name)
      p.late.forEach((j, k) => { at(r.next() * D * 0.8, async () => { await inviteUntil(managers[k % managers.length] as ChannelMember, j) }) })
      poisson(o.updateRate ?? 2, D, () => { const x = pickOf(live(p), r); if (x != null) tasks.push(x.update()) }, r)
      poisson(o.messageRate ?? 5, D, () => { const x = pickOf(live(p), r); if (x != null) tasks.push(x.say().catch(() => {})) }, r)
      poisson(o.leaveRate ?? 0.5, D * 0.8, () => {
        const x = pickOf(plain(p), r)
        if (x == null) return
        const attempt = async (): Promise<void> => {
          if (await leave(x) || engine.now() > stopAt || x.state !== 'member') return
          await wait(1000)
          await attempt()
        }
        tasks.push(attempt())
      }, r)
      const every = o.burstEveryMs ?? 2000
      for (let t = every * (0.25 + 0.5 * r.next()); t < D; t += every) at(t, () => { burst(p, r) })
    }
    const burst = (p: Plan, r: Rng): number => {
      const xs = r.shuffle(live(p)).slice(0, o.burstSize ?? 5)
      for (const x of xs) tasks.push(x.update())
      return xs.length
    }
    if (fault === 'crash' || fault === 'both') {
      const p = plans[0] as Plan
      const target = engine.sequencerOf(p.name) ?? p.owner.relay
      const start = Math.round(D * 0.3)
      const f: ChannelFaultReport = { kind: 'crash', relays: [target], channels: plans.filter(q => engine.sequencerOf(q.name) === target).map(q => q.name), startMs: start, endMs: start + 1000, unavailableMs: null, commitsDuring: 0 }
      faults.push(f)
      // The burst is built and on its way to the sequencer when it crashes.
      at(start - Math.ceil(modelled(cal, 'updateMs', p.all.length)) - 3, () => { f.commitsInFlight = burst(p, trng) })
      at(start, async () => {
        await engine.crash(target)
        for (const x of members) if (x.relay === target) x.relayDown()
      })
      at(start + 1000, async () => { await engine.restart(target) })
    }
    if (fault === 'partition' || fault === 'both') {
      const half = Math.ceil(n / 2)
      const side = new Set(Array.from({ length: n - half }, (_, k) => half + k))
      const f: ChannelFaultReport = { kind: 'partition', relays: [...side], channels: plans.map(q => q.name), startMs: Math.round(D * 0.55), endMs: Math.round(D * 0.75), unavailableMs: null, commitsDuring: 0, ackedWhileCut: 0 }
      faults.push(f)
      at(f.startMs, async () => { await engine.partition(side) })
      at(f.endMs, async () => { await engine.heal() })
    }
    const sequencers = new Map(plans.map(p => [p.name, engine.sequencerOf(p.name) ?? p.owner.relay]))
    for (let t = T0; t < T0 + D;) {
      t = Math.min(T0 + D, t + Math.max(10, D / 100))
      await engine.runUntil(t)
      progress(0.4 + 0.5 * (t - T0) / D, 'traffic')
    }

    // 4. Drain.
    progress(0.9, 'draining')
    const caughtUp = (): boolean => plans.every(p => {
      const xs = p.all.filter(x => x.state === 'member')
      const head = Math.max(0, ...xs.map(x => x.position))
      return xs.every(x => x.position === head)
    })
    let settled = false
    let settledAt = Infinity
    void Promise.all(tasks).then(() => { settled = true; settledAt = engine.now() })
    // A join still pending once every task settled is a dead leaf (its Welcome was lost): nothing more will come for it.
    await engine.runUntilTrue(() => settled && recorder.unsettled === 0 && caughtUp() && (recorder.pendingJoins === 0 || engine.now() > settledAt + 5000), T0 + D + DRAIN_MS, 50)

    // 5. The checks.
    const epochs = plans.map(p => {
      const xs = p.all.filter(x => x.state === 'member')
      return { channel: p.name, sequencer: engine.sequencerOf(p.name) ?? null, epoch: Math.max(0, ...xs.map(x => x.epoch)), members: xs.length, head: Math.max(0, ...xs.map(x => x.position)) }
    })
    let notCaughtUp = 0
    let converged = true
    for (const [i, p] of plans.entries()) {
      const e = epochs[i] as (typeof epochs)[number]
      const xs = p.all.filter(x => x.state === 'member')
      const hashes = new Set(xs.map(x => x.hash))
      if (hashes.size > 1 || xs.some(x => x.epoch !== e.epoch)) converged = false
      for (const x of xs) if (x.position !== e.head) notCaughtUp++
    }
    if (notCaughtUp > 0) converged = false
    // Members in a roster who never got their Welcome: dead leaves (the add went through, the Welcome was lost).
    const dead = members.filter(x => (x.state === 'invited' || x.state === 'joining') && plans.some(p => p.all.includes(x) && p.owner.roster.set.has(x.name))).map(x => x.name)
    recorder.excuse(dead, (hash, name) => host.rosters.get(hash)?.set.has(name) === true)
    const commits = recorder.commits()
    const acks = recorder.acks.map(a => ({ ...a, at: a.at - T0, requestedAt: a.requestedAt - T0 }))
    const requests = recorder.requests().map(r => ({ ...r, requestedAt: r.requestedAt - T0 }))
    for (const f of faults) {
      const during = requests.filter(r => r.requestedAt >= f.startMs && r.requestedAt <= f.endMs)
      f.commitsDuring = during.length
      f.failedDuring = during.filter(r => !r.acked).length
      if (f.kind === 'crash') {
        const first = acks.filter(a => f.channels.includes(a.channel) && a.at >= f.startMs).sort((x, y) => x.at - y.at)[0]
        f.unavailableMs = first != null ? round(first.at - f.startMs, 1) : null
      } else {
        const cut = new Set(f.relays)
        const isCut = (a: { channel: string, relay: number }): boolean => cut.has(a.relay) !== cut.has(sequencers.get(a.channel) ?? -1)
        const first = acks.filter(a => isCut(a) && a.requestedAt >= f.startMs).sort((x, y) => x.at - y.at)[0]
        f.unavailableMs = first != null ? round(first.at - f.startMs, 1) : null
        f.ackedWhileCut = acks.filter(a => isCut(a) && a.at >= f.startMs && a.at < f.endMs).length
      }
    }
    const largest = Math.max(...epochs.map(e => e.members))
    const welcomeBytes = Math.round(modelled(cal, 'welcomeBytes', largest))
    const mem = process.memoryUsage()
    progress(1, 'done')
    return {
      scenario: 'channels',
      relays: n,
      members: m,
      channels: C,
      seed,
      fault,
      durationMs: D,
      model: {
        mls: 'epochs as a SHA-256 hash chain over the commits applied (a fork is two states at one epoch); crypto times and sizes fitted to ts-mls measured in this run',
        calibration: cal,
        modelled: {
          channelSize: largest,
          addMs: round(modelled(cal, 'addMs', largest), 3),
          applyMs: round(modelled(cal, 'applyMs', largest), 3),
          joinMs: round(modelled(cal, 'joinMs', largest), 3),
          updateMs: round(modelled(cal, 'updateMs', largest), 3),
          welcomeBytes,
          addCommitBytes: Math.round(modelled(cal, 'addCommitBytes', largest)),
          commitBytes: Math.round(modelled(cal, 'commitBytes', largest)),
          welcomeOverPayloadLimit: welcomeBytes > MAX_PAYLOAD_BYTES
        }
      },
      commits,
      joins: { ...recorder.joinFigures(), deadLeaves: dead.length, waiting: members.filter(x => x.state === 'invited' || x.state === 'joining').map(x => `${x.name} (${x.state}, relay ${x.relay}, in the roster: ${String(plans.some(p => p.all.includes(x) && p.owner.roster.set.has(x.name)))})`).slice(0, 10) },
      leaves: recorder.leaveFigures(),
      epochs,
      forks: recorder.forks.length,
      forkSamples: recorder.forks.slice(0, 10),
      converged,
      messages: { sent: recorder.messagesSent, read: recorder.messagesRead, rejected: recorder.messagesRejected, gaps: recorder.gaps, notCaughtUp, commitsRefused: recorder.commitsRefused, ownCommitsLost: recorder.ownCommitsLost },
      faults,
      run: { wallMs: Math.round(performance.now() - wall0), calibrationWallMs, simulatedMs: Math.round(engine.now()), events: engine.scheduler.eventsRun, heapUsedMiB: Math.round(mem.heapUsed / 1048576) }
    }
  } finally {
    await engine.stop()
  }
}

function pickOf<T> (xs: T[], r: Rng): T | undefined {
  return xs.length === 0 ? undefined : r.pick(xs)
}

/** Who is in which channel, and where: owners on distinct relays of the first half. */
function planChannels (n: number, m: number, C: number, A: number, lateFraction: number, host: ChannelMemberHost, r: Rng): Plan[] {
  const firstHalf = Math.max(1, Math.ceil(n / 2))
  const ownerRelays = r.shuffle(Array.from({ length: firstHalf }, (_, i) => i))
  const plans: Plan[] = []
  for (let c = 0; c < C; c++) {
    const name = `sim/mls/ch${c}`
    const size = Math.floor(m / C) + (c < m % C ? 1 : 0)
    const all: ChannelMember[] = []
    for (let k = 0; k < size; k++) {
      const relay = k === 0 ? ownerRelays[c % ownerRelays.length] as number : r.int(n)
      all.push(new ChannelMember(c + k * C, relay, name, host))
    }
    const [owner, ...rest] = all as [ChannelMember, ...ChannelMember[]]
    const admins = rest.slice(0, A)
    const joiners = rest.slice(A)
    const late = Math.round(joiners.length * lateFraction)
    plans.push({ name, owner, admins, early: joiners.slice(0, joiners.length - late), late: joiners.slice(joiners.length - late), all })
  }
  return plans
}
