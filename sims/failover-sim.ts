/**
 * Sequencer failover on simulated time: N relays, M multicast names each with a lease
 * from the real `LeaseBook` (src/control/lease-book.ts, on a `MemoryStore`, with the
 * simulated clock), K relays crashing at random times, some coming back. Measured per
 * crash of a name's sequencer: the failover time (crash → the relay the lease moved to
 * numbers the name) and the unavailability window (crash → the first acknowledged
 * publish). The constants it models are `FailoverSimCosts` (failover-report.ts).
 *
 * What happens:
 * - At 0 a random relay claims each name (term 1, its replicas picked by the book); each
 *   name has a publisher on a relay that does not crash, publishing every
 *   `publishEveryMs` and waiting for each acknowledgement.
 * - Relays heartbeat every `heartbeatMs` (± jitter); the controller marks one down when
 *   it has not heard from it for `downAfterMs` (the membership actor's DOWN_AFTER, timed
 *   from the last heartbeat), calls `leases.relayDown(peer)` and pushes each changed
 *   lease to its holder, one after another, over the relay's event stream (`pushMs`).
 * - A relay the lease moved to starts the name's sequencer (`startMs` per name, one at a
 *   time) and announces its claim, which reaches the publisher's relay after the hops
 *   between them on a random relay graph (`degree`) times `hopMs`.
 * - The publisher's relay sends its pending submission again at the first check (every
 *   half `resendAfterMs`) `resendAfterMs` after the last send; one unacknowledged for
 *   `sequencerWaitMs` fails and the publisher publishes again. A submission sent before
 *   the claim reached the publisher's relay went to the dead sequencer and is lost.
 * - A sequencer acknowledges a message once every replica of the lease holds it (the
 *   replicator's commit is the minimum over its replicas): a replacement replica first
 *   catches up (`archiveMessages` × `catchUpPerMessageMs`, one catch-up at a time per
 *   replica relay), then the holder calls `leases.caughtUp(...)`. A dead replica stalls
 *   the holder's acknowledgements until the controller replaces it and the replacement
 *   has caught up.
 * - A restarted relay heartbeats again after `bootMs` (the controller calls
 *   `leases.relayUp`). It leads on at once under the lease it kept with each name it
 *   numbered (src/relay/sequencer-registry.ts `restore`: the term and the replicas of
 *   its sequencer's start) and asks the controller in the background (refused while the
 *   controller has it down; retried after 200 ms doubling up to 5 s): the answer fences
 *   it where the lease moved, and gives it the lease's current replicas where it did not.
 *
 * Invariants, checked as it runs (an `InvariantError` ends the run): a lease moves only
 * to one of its replicas that is up for the controller and not catching up, with the
 * next term; terms never go down; each name has one lease and at most one relay numbers
 * it under the current term.
 */
import { LeaseBook } from '../src/control/lease-book.js'
import type { LeaseBookInit, SequencerLease } from '../src/control/lease-book.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { EventScheduler } from './scheduler.js'
import type { TimerOwner } from './scheduler.js'
import { createRng } from './prng.js'
import { buildTopology } from './topologies.js'
import { round } from './metrics.js'
import { DEFAULT_FAILOVER_COSTS } from './failover-report.js'
import type { FailoverSimCosts, FailoverSimMetrics } from './failover-report.js'
import { FailoverRecorder } from './failover-recorder.js'
import type { NameState, WaitReason } from './failover-recorder.js'

export interface FailoverSimOptions {
  relays?: number
  names?: number
  /** Relays that keep each name's archive, the holder included (default 2). */
  replication?: number
  crashes?: number
  seed?: string | number
  costs?: Partial<FailoverSimCosts>
  /** The lease book (default: the real `LeaseBook.load(init)`); tests give a broken one to see the invariants fire. */
  makeBook?: (init: LeaseBookInit) => Promise<LeaseBookLike>
}

export type LeaseBookLike = Pick<LeaseBook, 'claim' | 'relayDown' | 'relayUp' | 'caughtUp' | 'get' | 'all'>

/** A broken invariant of the lease logic or of the simulation. */
export class InvariantError extends Error {
  constructor (message: string) { super(message); this.name = 'InvariantError' }
}

interface SimRelay {
  index: number
  id: string
  alive: boolean
  owner: TimerOwner
  /** Leases as this relay was told (pushes and claim answers). */
  view: Map<number, SequencerLease>
  /** Names it numbers now, and names whose sequencer start is queued. */
  leading: Set<number>
  starting: Set<number>
  /** Names it is a replica of (as their holders see it). */
  replicaOf: Set<number>
  ledAtCrash: number[]
  /** The lease kept with each name it numbered (its sequencer's start): survives a crash. */
  stored: Map<number, SequencerLease>
  /** Names it leads on under an older term than theirs, back from a restart, until fenced. */
  stale: Set<number>
  startBusy: number
  catchUpBusy: number
}

export async function runFailoverSim (o: FailoverSimOptions = {}): Promise<FailoverSimMetrics> {
  const wallStart = performance.now()
  const n = o.relays ?? 1000
  const m = o.names ?? 5000
  const replication = o.replication ?? 2
  const K = Math.min(o.crashes ?? 50, n)
  const seed = String(o.seed ?? 1)
  const c: FailoverSimCosts = { ...DEFAULT_FAILOVER_COSTS, ...o.costs }
  if (!Number.isInteger(replication) || replication < 1) throw new Error(`replication is a whole number >= 1, not ${replication}`)
  for (const k of ['heartbeatMs', 'downAfterMs', 'resendAfterMs', 'sequencerWaitMs'] as const) if (!(c[k] > 0)) throw new Error(`${k} must be > 0, not ${c[k]}`)
  const rng = createRng(`failover:${seed}`)
  const sched = new EventScheduler()
  const t0 = sched.now()
  const now = (): number => sched.now() - t0
  const at = (t: number, fn: () => void, owner?: TimerOwner): void => { sched.at(t0 + t, fn, owner) }
  const uniform = ([lo, hi]: [number, number]): number => lo + rng.next() * (hi - lo)
  const R = c.resendAfterMs
  const tick = Math.max(50, R / 2)

  const width = Math.max(4, String(n - 1).length)
  const relays: SimRelay[] = Array.from({ length: n }, (_, i) => ({
    index: i, id: `relay-${String(i).padStart(width, '0')}`, alive: true, owner: { alive: true }, view: new Map(), leading: new Set(),
    starting: new Set(), replicaOf: new Set(), ledAtCrash: [], stored: new Map(), stale: new Set(), startBusy: 0, catchUpBusy: 0
  }))
  const indexOf = new Map(relays.map(r => [r.id, r.index]))
  const relayOf = (id: string): SimRelay => {
    const i = indexOf.get(id)
    if (i == null) throw new InvariantError(`a lease names ${id}, which is not on the roster`)
    return relays[i] as SimRelay
  }

  // The relay graph the announcements cross; hop counts over the relays alive now.
  const graph = buildTopology('random', n, rng.fork('graph'), { degree: c.degree })
  const adj: number[][] = relays.map(() => [])
  for (const [a, b] of graph.edges) { (adj[a] as number[]).push(b); (adj[b] as number[]).push(a) }
  let bfsCache = new Map<number, Int32Array>()
  const hops = (from: number, to: number): number => {
    if (from === to) return 0
    let d = bfsCache.get(from)
    if (d == null) {
      d = new Int32Array(n).fill(-1)
      d[from] = 0
      const queue = [from]
      for (let q = 0; q < queue.length; q++) {
        const v = queue[q] as number
        for (const w of adj[v] as number[]) if (d[w] === -1 && (relays[w] as SimRelay).alive) { d[w] = (d[v] as number) + 1; queue.push(w) }
      }
      bfsCache.set(from, d)
    }
    const h = d[to] as number
    return h < 0 ? Infinity : h
  }

  // Who crashes (and restarts), and where the publishers are (on relays that do not crash).
  const order = rng.shuffle(relays.map(r => r.index))
  const victims = order.slice(0, K)
  const calm = order.slice(K)
  const restarts = Math.round(K * c.restartFraction)

  // The controller: membership by heartbeat, the lease book.
  const up = new Array<boolean>(n).fill(true)
  const lastSeen = new Array<number>(n).fill(0)
  let pushBusy = 0
  const store = new MemoryStore()
  const book = await (o.makeBook ?? (async (init) => await LeaseBook.load(init)))({
    store,
    live: () => relays.filter(r => up[r.index] as boolean).map(r => r.id),
    replicationOf: () => replication,
    now: () => sched.now()
  })
  const known = new Map<number, SequencerLease>()
  const rec = new FailoverRecorder()
  const fail = (what: string): never => { throw new InvariantError(`${what} (at ${round(now(), 1)} ms simulated)`) }
  let broken: InvariantError | undefined
  const guard = <A extends unknown[]>(fn: (...a: A) => void) => (...a: A): void => { try { fn(...a) } catch (err) { broken ??= err as InvariantError } }

  const names: NameState[] = []
  const claimsStart = performance.now()
  for (let i = 0; i < m; i++) {
    const claimer = rng.int(n)
    const lease = await book.claim(`name-${i}`, (relays[claimer] as SimRelay).id)
    rec.checks++
    if (lease.term !== 1 || lease.holder !== (relays[claimer] as SimRelay).id || lease.replicas.length !== Math.min(replication, n) - 1) fail(`the first claim of ${lease.name} gave ${JSON.stringify(lease)}`)
    const ns: NameState = {
      index: i, name: lease.name, pub: calm.length > 0 ? rng.pick(calm) : 0, archive: Math.round(rng.exp(c.archiveMessages)),
      pubPhase: rng.next() * c.publishEveryMs, term: 0, holder: -1, startedAt: 0, routeAt: Infinity, replicaOk: new Map(), outage: null, version: 0
    }
    names.push(ns)
    known.set(i, lease)
    const r = relays[claimer] as SimRelay
    r.view.set(i, lease)
    lead(r, ns, lease, true)
  }
  rec.claimsWallMs = performance.now() - claimsStart
  const tickPhase = relays.map(() => rng.next() * tick)

  /** Checks a lease the book changed against what it was. */
  function checkChange (lease: SequencerLease, down?: string): void {
    rec.checks++
    const i = Number(lease.name.slice(5))
    const prev = known.get(i) ?? fail(`the book changed ${lease.name}, which was never claimed`)
    if (lease.term < prev.term) fail(`${lease.name}: term went down from ${prev.term} to ${lease.term}`)
    if (lease.holder !== prev.holder) {
      if (lease.term !== prev.term + 1) fail(`${lease.name} moved to ${lease.holder} under term ${lease.term}, not ${prev.term + 1}`)
      if (!prev.replicas.includes(lease.holder)) fail(`${lease.name} moved to ${lease.holder}, which was not one of its replicas`)
      if ((prev.catchingUp ?? []).includes(lease.holder)) fail(`${lease.name} moved to ${lease.holder}, a replica still catching up`)
      if (lease.holder === down || !(up[relayOf(lease.holder).index] as boolean)) fail(`${lease.name} moved to ${lease.holder}, which is down`)
    } else if (lease.term !== prev.term) fail(`${lease.name}: term ${prev.term} → ${lease.term} without a new holder`)
    for (const r of [lease.holder, ...lease.replicas]) relayOf(r)
    if ((lease.catchingUp ?? []).some(r => !lease.replicas.includes(r))) fail(`${lease.name}: catching up ${lease.catchingUp?.join(', ') ?? ''} is not among its replicas ${lease.replicas.join(', ')}`)
    if (new Set([lease.holder, ...lease.replicas]).size !== lease.replicas.length + 1) fail(`${lease.name}: holder and replicas overlap: ${JSON.stringify(lease)}`)
    known.set(i, lease)
  }

  // Relays: heartbeats, crashes, restarts.
  const heartbeat = (r: SimRelay): void => {
    at(now() + uniform(c.networkMs), guard(() => { heard(r.index) }))
    at(now() + c.heartbeatMs * (1 - c.heartbeatJitter + 2 * c.heartbeatJitter * rng.next()), () => { heartbeat(r) }, r.owner)
  }
  const heard = (i: number): void => {
    const t = now()
    lastSeen[i] = t
    if (!(up[i] as boolean)) { up[i] = true; relayUp(i) }
    at(t + c.downAfterMs, guard(() => { if ((up[i] as boolean) && now() - (lastSeen[i] as number) >= c.downAfterMs) relayDown(i) }))
  }
  const crash = (r: SimRelay): void => {
    r.alive = false
    r.owner.alive = false
    bfsCache = new Map()
    r.ledAtCrash = [...r.leading]
    if (r.leading.size > 0) rec.holders++
    for (const i of r.leading) {
      const ns = names[i] as NameState
      rec.holderCrashed(ns, now(), r.index)
      ns.version++
    }
    for (const i of r.replicaOf) {
      const ns = names[i] as NameState
      ns.replicaOk.set(r.index, Infinity)
      const h = relays[ns.holder]
      if (h?.alive === true && h.leading.has(i)) rec.replicaCrashed(ns, now(), r.index)
      ns.version++
    }
    r.leading.clear()
    r.starting.clear()
    r.view.clear()
    r.stale.clear()
    r.startBusy = 0
    r.catchUpBusy = 0
  }
  const restart = (r: SimRelay): void => {
    r.alive = true
    r.owner = { alive: true }
    bfsCache = new Map()
    rec.restarted++
    at(now() + c.bootMs, guard(() => {
      // A replica never replaced holds everything acknowledged: nothing was while it was down.
      for (const i of r.replicaOf) { const ns = names[i] as NameState; if (ns.replicaOk.get(r.index) === Infinity) { ns.replicaOk.set(r.index, now()); touch(ns) } }
      heartbeat(r)
      for (const i of r.ledAtCrash) { restore(r, i); confirm(r, i, 0) }
    }), r.owner)
  }

  /** Back from a restart, the relay leads on under the lease it kept (stale where the lease moved meanwhile). */
  const restore = (r: SimRelay, i: number): void => {
    const kept = r.stored.get(i)
    const ns = names[i] as NameState
    if (kept == null) return
    r.view.set(i, kept)
    const lease = known.get(i)
    if (lease?.holder === r.id && lease.term === kept.term && ns.holder === r.index) startSoon(r, i)
    else { r.stale.add(i); rec.restoredStale++ }
  }
  /** ... and asks the controller whether the lease is still its own, until it answers. */
  const confirm = (r: SimRelay, i: number, attempt: number): void => {
    at(now() + uniform(c.networkMs), guard(() => {
      const answer = (lease?: SequencerLease): void => {
        at(now() + uniform(c.networkMs), guard(() => {
          if (lease == null) at(now() + Math.min(200 * 2 ** attempt, 5000), () => { confirm(r, i, attempt + 1) }, r.owner)
          else onLease(r, lease)
        }), r.owner)
      }
      // The controller refuses a claim from a relay it has down (409).
      if (!(up[r.index] as boolean)) { answer(); return }
      void book.claim(names[i]?.name as string, r.id).then(guard((lease: SequencerLease) => {
        rec.checks++
        if (JSON.stringify(lease) !== JSON.stringify(known.get(i))) fail(`a claim of the held name ${lease.name} changed its lease`)
        answer(lease)
      }))
    }), r.owner)
  }

  // The controller's side of the leases.
  const push = (lease: SequencerLease): void => {
    pushBusy = Math.max(pushBusy, now()) + c.pushCpuMs
    const r = relayOf(lease.holder)
    at(pushBusy + uniform(c.pushMs), guard(() => { onLease(r, lease) }), r.owner)
  }
  const reasonOf = (l: SequencerLease): WaitReason => {
    if (l.replicas.length === 0) return 'noReplica'
    const catching = new Set(l.catchingUp ?? [])
    return l.replicas.some(r => catching.has(r) && (up[relayOf(r).index] as boolean)) ? 'replicaCatchingUp' : 'replicaDown'
  }
  const relayDown = (i: number): void => {
    up[i] = false
    rec.relayDownCalls++
    const peer = (relays[i] as SimRelay).id
    const t = now()
    const wall = performance.now()
    void book.relayDown(peer).then(guard((changed: Array<{ lease: SequencerLease, previous: string }>) => {
      rec.relayDownWall.push(performance.now() - wall)
      rec.maxChangedPerCall = Math.max(rec.maxChangedPerCall, changed.length)
      for (const { lease } of changed) {
        const j = Number(lease.name.slice(5))
        const moved = lease.holder !== known.get(j)?.holder
        checkChange(lease, peer)
        rec.leasesChanged++
        if (moved) rec.moved(names[j] as NameState, t, relayOf(lease.holder).alive)
        else rec.replicasReplaced++
        push(lease)
      }
      // The leases of the down relay that did not move wait for it.
      for (const [j, l] of known) if (l.holder === peer) rec.waited(names[j] as NameState, t, reasonOf(l), (names[j] as NameState).holder !== i)
      if (book.all().length !== names.length) fail(`the book has ${book.all().length} leases for ${names.length} names`)
    }))
  }
  const relayUp = (i: number): void => {
    rec.relayUpCalls++
    void book.relayUp((relays[i] as SimRelay).id).then(guard((changed: SequencerLease[]) => {
      for (const lease of changed) { checkChange(lease); rec.leasesChanged++; push(lease) }
    }))
  }

  // A relay's side: leases pushed to it, its sequencers, their replicas.
  function onLease (r: SimRelay, lease: SequencerLease): void {
    const i = Number(lease.name.slice(5))
    const mine = r.view.get(i)
    if (mine != null && mine.term > lease.term) return
    r.view.set(i, lease)
    r.stale.delete(i)
    if (lease.holder !== r.id) { r.leading.delete(i); return }
    const ns = names[i] as NameState
    if (r.leading.has(i) && ns.term === lease.term) { setReplicas(r, ns, lease, false); return }
    startSoon(r, i)
  }
  function startSoon (r: SimRelay, i: number): void {
    if (r.leading.has(i) || r.starting.has(i)) return
    r.starting.add(i)
    r.startBusy = Math.max(now(), r.startBusy) + c.startMs
    at(r.startBusy, guard(() => {
      r.starting.delete(i)
      const lease = r.view.get(i)
      if (lease?.holder === r.id) lead(r, names[i] as NameState, lease, false)
    }), r.owner)
  }
  /** `r` numbers the name under `lease` from now on. */
  function lead (r: SimRelay, ns: NameState, lease: SequencerLease, initial: boolean): void {
    const other = relays[ns.holder]
    if (other != null && other !== r && other.alive && other.leading.has(ns.index)) {
      if (ns.term >= lease.term) fail(`${ns.name}: ${r.id} would number term ${lease.term} while ${other.id} numbers term ${ns.term}`)
      other.leading.delete(ns.index)
    }
    if (lease.term < ns.term) fail(`${ns.name}: ${r.id} would number term ${lease.term} after term ${ns.term}`)
    rec.checks++
    ns.term = lease.term
    ns.holder = r.index
    ns.startedAt = now()
    r.leading.add(ns.index)
    r.stored.set(ns.index, lease)
    const d = hops(r.index, ns.pub)
    ns.routeAt = d === Infinity ? Infinity : now() + d * c.hopMs
    setReplicas(r, ns, lease, true, initial)
    if (ns.outage != null) ns.outage.startedAt = now()
    touch(ns)
  }
  function setReplicas (r: SimRelay, ns: NameState, lease: SequencerLease, fresh: boolean, initial = false): void {
    const wanted = new Set(lease.replicas.map(id => relayOf(id).index))
    for (const q of [...ns.replicaOk.keys()]) {
      if (fresh || !wanted.has(q)) { ns.replicaOk.delete(q); (relays[q] as SimRelay).replicaOf.delete(ns.index) }
    }
    const catching = new Set(lease.catchingUp ?? [])
    for (const q of wanted) {
      if (ns.replicaOk.has(q)) continue
      const rq = relays[q] as SimRelay
      rq.replicaOf.add(ns.index)
      if (initial) ns.replicaOk.set(q, 0)
      else if (!rq.alive) ns.replicaOk.set(q, Infinity)
      else if (catching.has(rq.id)) catchUp(r, ns, rq, lease.term)
      else ns.replicaOk.set(q, now())
    }
    touch(ns)
  }
  function catchUp (r: SimRelay, ns: NameState, q: SimRelay, term: number): void {
    const start = Math.max(now(), q.catchUpBusy)
    const done = start + ns.archive * c.catchUpPerMessageMs + 2 * hops(r.index, q.index) * c.hopMs
    q.catchUpBusy = done
    ns.replicaOk.set(q.index, done)
    at(done, guard(() => {
      if (!q.alive || ns.holder !== r.index || ns.term !== term || ns.replicaOk.get(q.index) !== done) return
      at(now() + uniform(c.networkMs), guard(() => {
        rec.caughtUpCalls++
        void book.caughtUp(ns.name, term, r.id, q.id).then(guard((lease?: SequencerLease) => { if (lease != null) checkChange(lease) }))
      }))
    }), r.owner)
  }

  /** Something changed for the name: when is its next publish acknowledged, if it is in an outage? */
  function touch (ns: NameState): void {
    ns.version++
    const o = ns.outage
    const h = relays[ns.holder]
    if (o == null || h == null || !h.alive || !h.leading.has(ns.index) || ns.routeAt === Infinity) return
    let okAt = 0
    let repl = 0
    for (const [q, t] of ns.replicaOk) { okAt = Math.max(okAt, t); repl = Math.max(repl, 2 * hops(h.index, q) * c.hopMs) }
    if (okAt === Infinity || repl === Infinity) return
    const { sendAt, failed } = firstSend(ns, o.crashAt, ns.routeAt)
    const hp = hops(h.index, ns.pub) * c.hopMs
    const seqAt = Math.max(sendAt + hp, ns.startedAt)
    const ackAt = Math.max(seqAt, okAt) + repl + c.appendMs + hp
    const v = ns.version
    at(ackAt, guard(() => {
      if (ns.version !== v || ns.outage !== o) return
      // Acknowledged without a replica the controller counts on (one that is not catching up): a restored leader on the replicas it kept.
      const lease = known.get(ns.index)
      if (lease != null && lease.replicas.some(q => !(lease.catchingUp ?? []).includes(q) && !ns.replicaOk.has(relayOf(q).index))) rec.ackedOffLease++
      rec.acked(ns, ackAt, sendAt, failed)
    }))
  }
  /** The first send of the publisher's pending submission (or of its next, after a failure) at or after `routeAt`. */
  function firstSend (ns: NameState, crashAt: number, routeAt: number): { sendAt: number, failed: number } {
    const E = c.publishEveryMs
    const grid = (phase: number, step: number, from: number): number => phase + Math.max(0, Math.ceil((from - phase) / step)) * step
    const ph = tickPhase[ns.pub] as number
    let s = E > 0 ? grid(ns.pubPhase, E, crashAt) : crashAt
    let failed = 0
    for (;;) {
      if (s >= routeAt) return { sendAt: s, failed }
      const failAt = grid(ph, tick, s + c.sequencerWaitMs)
      for (let t = grid(ph, tick, s + R); t < failAt; t += R) if (t >= routeAt) return { sendAt: t, failed }
      failed++
      s = failAt
    }
  }

  // The run.
  for (const r of relays) at(rng.next() * c.heartbeatMs, () => { heartbeat(r) }, r.owner)
  for (const [k, v] of victims.entries()) {
    const r = relays[v] as SimRelay
    const t = uniform(c.crashWindowMs)
    at(t, guard(() => { crash(r) }))
    if (k < restarts) at(t + uniform(c.restartAfterMs), guard(() => { restart(r) }))
  }
  const end = c.crashWindowMs[1] + c.tailMs
  await sched.runUntil(t0 + end, () => { if (broken != null) throw broken })
  if (broken != null) throw broken
  checkEnd()
  return rec.metrics({ relays: n, names: m, replication, seed, costs: c, victims: victims.length, wallMs: performance.now() - wallStart, events: sched.eventsRun, simulatedMs: now() }, names)

  /** At the end: one lease per name; at most one live relay numbers each name, and that one holds its lease. */
  function checkEnd (): void {
    if (book.all().length !== names.length) fail(`the book has ${book.all().length} leases for ${names.length} names`)
    const leaders = new Map<number, SimRelay[]>()
    for (const r of relays) if (r.alive) for (const i of r.leading) leaders.set(i, [...(leaders.get(i) ?? []), r])
    for (const r of relays) if (r.alive && r.stale.size > 0) fail(`${r.id} still numbers ${r.stale.size} names under a term that is not theirs (never fenced)`)
    for (const ns of names) {
      rec.checks++
      const lease = book.get(ns.name) as SequencerLease
      const ls = leaders.get(ns.index) ?? []
      if (ls.length > 1) fail(`${ns.name} is numbered by ${ls.map(r => r.id).join(' and ')}`)
      const l = ls[0]
      if (l != null && (l.id !== lease.holder || ns.term !== lease.term)) fail(`${ns.name} is numbered by ${l.id} under term ${ns.term}, but its lease is ${lease.holder}'s, term ${lease.term}`)
    }
  }
}
