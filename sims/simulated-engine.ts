/**
 * The simulated engine: the real relay logic (`RelayCore`, its multicast plane and its
 * XState sequencers, each relay with a `MemoryStore`) on a discrete-event clock, over
 * simulated links and a simulated gossipsub. Nothing is mocked but the transport:
 *
 * - a link delivers the frames each side queued in one instant as one `LinkFrame`, one
 *   link latency later (plus jitter), first in first out; on a lossy link a lost frame
 *   costs a retransmission timeout (streams are reliable) and holds back what follows;
 *   frames in flight when a link goes down are lost;
 * - `publish(name, batch)` reaches every relay on the name's topic that is connected to
 *   the publisher through relays on that topic, each hop one link latency; on a lossy
 *   link a hop's copy is lost (other paths may still carry it; the relays fetch gaps);
 * - a crash kills the relay's incarnation: its timers, queued frames and agent
 *   sessions; a restart builds a new `RelayCore` on the same store and links it again.
 */
import { RelayCore } from '../src/relay/relay-core.js'
import { simTrust } from './sim-trust.js'
import type { SimTrust } from './sim-trust.js'
import type { RelayConfig } from '../src/relay/types.js'
import type { Clock } from '../src/relay/clock.js'
import { MemoryStore } from '../src/store/memory-store.js'
import type { GossipBatch, LinkFrame } from '../src/wire/envelope.pb.js'
import { EventScheduler } from './scheduler.js'
import type { TimerOwner } from './scheduler.js'
import { SimAgent } from './sim-agent.js'
import { createRng } from './prng.js'
import type { Rng } from './prng.js'
import { FAULTS } from './engine.js'
import type { Engine, EngineAgent, EngineStartOptions, FaultKind, LinkQuality, TrafficCounters } from './engine.js'
import type { Topology } from './topologies.js'

export interface SimulatedEngineOptions {
  seed: string | number
  /** One-way latency of a relay-to-relay link (ms); default 2. */
  linkLatencyMs?: number
  /** One-way latency between an agent and its relay (ms); default 0.5. */
  agentLatencyMs?: number
  /** How long a relay takes to notice a silent (partitioned) link (ms); default 1000. */
  linkDetectMs?: number
  /** An agent's first retry of its relay (ms; doubling, capped at 5 s); default 100. */
  reconnectMs?: number
  /** How long an agent waits for an ack (ms); default 5000. */
  publishTimeoutMs?: number
  config?: Partial<RelayConfig>
  /**
   * Credentials on (default): every agent has a key, the name it gives and a credential
   * of one mesh, and every relay checks grants at sessions and at sequencers, as a real
   * mesh does (./sim-trust.ts). `false`: open mode.
   */
  trust?: boolean
}

interface SimLink {
  a: number
  b: number
  up: boolean
  cut: boolean
  /** Bumped on every up and down: frames from an older epoch are lost. */
  epoch: number
  lastArrival: [number, number]
  outbox: [LinkFrame | undefined, LinkFrame | undefined]
}

interface SimRelay {
  index: number
  id: string
  store: MemoryStore
  topics: Set<string>
  core?: RelayCore
  owner: TimerOwner
  clock: Clock
  links: Map<number, SimLink>
  agents: SimAgent[]
}

export class SimulatedEngine implements Engine {
  readonly kind = 'simulated' as const
  readonly faults: readonly FaultKind[] = FAULTS
  readonly scheduler = new EventScheduler()
  private readonly start0 = this.scheduler.now()
  private readonly opts: Required<Omit<SimulatedEngineOptions, 'config'>> & { config: Partial<RelayConfig> }
  private readonly rng: Rng
  private trust?: SimTrust
  private relays: SimRelay[] = []
  private readonly ids = new Map<string, number>()
  private links: SimLink[] = []
  private quality: LinkQuality | undefined
  private graphVersion = 0
  private expected?: { version: number, reach: number[][] }
  private readonly counters: TrafficCounters = { announcements: 0, routedData: 0, routedAcks: 0, fetchRequests: 0, fetchReplies: 0, gossipTransmissions: 0, retransmissions: 0, gossipLost: 0 }
  private cutLinks: SimLink[] = []

  constructor (options: SimulatedEngineOptions) {
    this.opts = {
      linkLatencyMs: 2,
      agentLatencyMs: 0.5,
      linkDetectMs: 1000,
      reconnectMs: 100,
      publishTimeoutMs: 5000,
      ...options,
      config: options.config ?? {},
      trust: options.trust ?? true
    }
    this.rng = createRng(`${options.seed}:network`)
  }

  now (): number { return this.scheduler.now() - this.start0 }
  schedule (at: number, fn: () => void): void { this.scheduler.at(this.start0 + at, fn) }
  async runUntil (at: number): Promise<void> { await this.scheduler.runUntil(this.start0 + at) }

  async runUntilTrue (cond: () => boolean, deadline: number, everyMs: number): Promise<boolean> {
    for (;;) {
      if (cond()) return true
      if (this.now() >= deadline) return false
      await this.runUntil(Math.min(deadline, this.now() + everyMs))
    }
  }

  relayIds (): string[] { return this.relays.map(r => r.id) }
  core (i: number): RelayCore | undefined { return this.relays[i]?.core }
  traffic (): TrafficCounters { return { ...this.counters } }

  async start (options: EngineStartOptions): Promise<EngineAgent[]> {
    const { topology, agents } = options
    this.trust = this.opts.trust === false ? undefined : await simTrust(this.opts.seed, agents)
    const width = String(Math.max(1, topology.relays - 1)).length
    for (let i = 0; i < topology.relays; i++) {
      const owner: TimerOwner = { alive: true }
      const r: SimRelay = { index: i, id: `relay-${String(i).padStart(width, '0')}`, store: new MemoryStore(), topics: new Set(), owner, clock: this.scheduler.clock(owner), links: new Map(), agents: [] }
      this.relays.push(r)
      this.ids.set(r.id, i)
    }
    this.buildLinks(topology)
    for (const r of this.relays) {
      void this.boot(r)
      options.onProgress?.(r.index + 1, topology.relays, 'relays')
    }
    await this.scheduler.runUntil(this.scheduler.now())
    const host = {
      scheduler: this.scheduler,
      clock: this.scheduler.clock(),
      core: (i: number) => this.relays[i]?.core,
      now: () => this.now(),
      agentLatencyMs: this.opts.agentLatencyMs,
      reconnectMs: this.opts.reconnectMs,
      publishTimeoutMs: this.opts.publishTimeoutMs,
      credentialOf: (name: string) => credentials.get(name)
    }
    const credentials = new Map([...(this.trust?.agents.values() ?? [])].map(a => [a.name, a.credential]))
    const out: SimAgent[] = []
    for (const spec of agents) {
      const a = new SimAgent(spec, host, this.trust?.agents.get(spec.index)?.name)
      this.relays[spec.relay]?.agents.push(a)
      a.connect()
      out.push(a)
    }
    // Let the first announcements go out (to nobody yet), then bring every link up at once.
    await this.runUntil(this.now() + 10)
    for (const l of this.links) this.linkUp(l)
    return out
  }

  private buildLinks (topology: Topology): void {
    for (const [a, b] of topology.edges) {
      const l: SimLink = { a, b, up: false, cut: false, epoch: 0, lastArrival: [0, 0], outbox: [undefined, undefined] }
      this.links.push(l)
      this.relays[a]?.links.set(b, l)
      this.relays[b]?.links.set(a, l)
    }
  }

  /** A new incarnation of the relay's logic on its store. */
  private boot (r: SimRelay): Promise<void> {
    const owner = r.owner
    const core = new RelayCore({
      peerId: r.id,
      store: r.store,
      clock: r.clock,
      config: this.opts.config,
      trust: this.trust?.anchors,
      io: {
        sendAnnouncement: (peer, ann) => {
          if (!owner.alive) return
          this.counters.announcements++
          this.queue(r, peer)?.announcements.push(ann)
        },
        sendRouted: (peer, routed) => {
          if (!owner.alive) return
          if (routed.envelope != null) this.counters.routedData++
          else if (routed.ack != null) this.counters.routedAcks++
          else if (routed.fetch != null) this.counters.fetchRequests++
          else if (routed.fetched != null) this.counters.fetchReplies++
          this.queue(r, peer)?.routed.push(routed)
        },
        publish: (name, batch) => { if (owner.alive) this.gossip(r, name, batch) },
        setTopic: (name, on) => {
          if (!owner.alive) return
          if (on) r.topics.add(name)
          else r.topics.delete(name)
        },
        addrs: () => [`/sim/${r.id}`]
      }
    })
    r.core = core
    return core.start().catch(() => {})
  }

  // ---- links ----

  private dir (l: SimLink, from: number): 0 | 1 { return l.a === from ? 0 : 1 }

  /** The frame being filled on the link from `r` to `peer` this instant, if the link is up. */
  private queue (r: SimRelay, peer: string): LinkFrame | undefined {
    const to = this.ids.get(peer)
    const l = to == null ? undefined : r.links.get(to)
    if (l == null || !l.up) return undefined
    const d = this.dir(l, r.index)
    let frame = l.outbox[d]
    if (frame == null) {
      frame = { announcements: [], routed: [], revocations: [] }
      l.outbox[d] = frame
      const epoch = l.epoch
      this.scheduler.at(this.scheduler.now(), () => { this.flush(l, d, epoch) }, r.owner)
    }
    return frame
  }

  private latency (): number {
    const q = this.quality
    const base = this.opts.linkLatencyMs + (q?.latencyMs ?? 0)
    return q != null && q.jitterMs > 0 ? base + this.rng.next() * q.jitterMs : base
  }

  private flush (l: SimLink, d: 0 | 1, epoch: number): void {
    const frame = l.outbox[d]
    l.outbox[d] = undefined
    if (frame == null || l.epoch !== epoch) return
    let at = this.scheduler.now() + this.latency()
    const q = this.quality
    if (q != null && q.loss > 0) {
      // A reliable stream: a lost transmission is sent again after a timeout.
      const rto = Math.max(200, 3 * (this.opts.linkLatencyMs + q.latencyMs))
      while (this.rng.chance(q.loss)) { this.counters.retransmissions++; at += rto }
    }
    at = Math.max(at, l.lastArrival[d])
    l.lastArrival[d] = at
    const from = this.relays[d === 0 ? l.a : l.b] as SimRelay
    const to = this.relays[d === 0 ? l.b : l.a] as SimRelay
    this.scheduler.at(at, () => {
      if (l.epoch === epoch) to.core?.onLinkFrame(from.id, frame)
    }, to.owner)
  }

  private linkUp (l: SimLink): void {
    const a = this.relays[l.a] as SimRelay
    const b = this.relays[l.b] as SimRelay
    if (l.up || l.cut || a.core == null || b.core == null) return
    l.up = true
    l.epoch++
    this.graphVersion++
    a.core.linkUp(b.id)
    b.core.linkUp(a.id)
  }

  /** Takes a link down now; each live side's logic hears of it after `detectMs`. */
  private linkDown (l: SimLink, detectMs: number): void {
    if (!l.up) return
    l.up = false
    l.epoch++
    l.outbox = [undefined, undefined]
    this.graphVersion++
    for (const [self, peer] of [[l.a, l.b], [l.b, l.a]] as const) {
      const r = this.relays[self] as SimRelay
      const peerId = (this.relays[peer] as SimRelay).id
      const epoch = l.epoch
      this.scheduler.at(this.scheduler.now() + detectMs, () => {
        // Only if the link has not come back meanwhile.
        if (l.epoch === epoch) r.core?.linkDown(peerId)
      }, r.owner)
    }
  }

  // ---- gossip ----

  /** Floods a batch over the relays on the topic (Dijkstra on link latency). */
  private gossip (from: SimRelay, name: string, batch: GossipBatch): void {
    const n = this.relays.length
    const dist = new Float64Array(n).fill(Infinity)
    const done = new Uint8Array(n)
    const now = this.scheduler.now()
    dist[from.index] = now
    const heap: Array<[number, number]> = [[now, from.index]]
    const q = this.quality
    while (heap.length > 0) {
      const [t, u] = heapPop(heap)
      if (done[u] === 1) continue
      done[u] = 1
      const ru = this.relays[u] as SimRelay
      if (u !== from.index) {
        const owner = ru.owner
        this.scheduler.at(t, () => { if (ru.topics.has(name)) ru.core?.onGossip(from.id, batch) }, owner)
      }
      for (const [v, l] of ru.links) {
        if (!l.up || done[v] === 1) continue
        const rv = this.relays[v] as SimRelay
        if (!rv.topics.has(name) || rv.core == null) continue
        if (q != null && this.rng.chance(q.loss)) { this.counters.gossipLost++; continue }
        this.counters.gossipTransmissions++
        const tv = t + this.latency()
        if (tv < (dist[v] as number)) { dist[v] = tv; heapPush(heap, [tv, v]) }
      }
    }
  }

  // ---- faults ----

  async crash (i: number): Promise<void> {
    const r = this.relays[i]
    if (r?.core == null) return
    r.owner.alive = false
    r.core = undefined
    r.topics.clear()
    for (const l of r.links.values()) this.linkDown(l, this.opts.linkLatencyMs)
    for (const a of r.agents) a.relayDown()
  }

  async restart (i: number): Promise<void> {
    const r = this.relays[i]
    if (r == null || r.core != null) return
    r.owner = { alive: true }
    r.clock = this.scheduler.clock(r.owner)
    // Like `createRelay`: the store is read (sequencers restored) before links are dialled.
    await this.boot(r)
    for (const l of r.links.values()) this.linkUp(l)
  }

  async partition (side: ReadonlySet<number>): Promise<void> {
    for (const l of this.links) {
      if (side.has(l.a) === side.has(l.b) || l.cut) continue
      l.cut = true
      this.cutLinks.push(l)
      this.linkDown(l, this.opts.linkDetectMs)
    }
  }

  async heal (): Promise<void> {
    for (const l of this.cutLinks.splice(0)) {
      l.cut = false
      this.linkUp(l)
    }
  }

  degradeLinks (quality: LinkQuality | undefined): void { this.quality = quality }

  // ---- inspection ----

  /** Relays each live relay can reach over links that are up, within the announcement hop limit. */
  private reachable (): number[][] {
    if (this.expected?.version === this.graphVersion) return this.expected.reach
    const limit = this.relays[0]?.core?.config.announceHopLimit ?? 8
    const reach = this.relays.map(r => {
      if (r.core == null) return []
      const seen = new Map<number, number>([[r.index, 0]])
      let frontier = [r.index]
      for (let depth = 1; depth <= limit && frontier.length > 0; depth++) {
        const next: number[] = []
        for (const u of frontier) {
          for (const [v, l] of (this.relays[u] as SimRelay).links) {
            if (l.up && !seen.has(v)) { seen.set(v, depth); next.push(v) }
          }
        }
        frontier = next
      }
      seen.delete(r.index)
      return [...seen.keys()]
    })
    this.expected = { version: this.graphVersion, reach }
    return reach
  }

  routesConverged (): boolean {
    const reach = this.reachable()
    for (const r of this.relays) {
      const t = r.core?.table
      if (t == null) continue
      for (const j of reach[r.index] ?? []) {
        if (t.distance((this.relays[j] as SimRelay).id) === Infinity) return false
      }
    }
    return true
  }

  sequencerOf (name: string): number | undefined {
    for (const r of this.relays) {
      const who = r.core?.table.sequencerOf(name)?.relay
      if (who != null) return this.ids.get(who)
    }
    return undefined
  }

  claimsKnown (names: string[]): boolean {
    return this.relays.every(r => r.core == null || names.every(n => r.core?.table.sequencerOf(n) != null))
  }

  cutOffs (): number {
    let n = 0
    for (const r of this.relays) for (const a of r.agents) n += a.cutOffs
    return n
  }

  async stop (): Promise<void> {
    for (const r of this.relays) { r.owner.alive = false; r.core = undefined }
    this.relays = []
    this.links = []
  }
}

function heapPush (h: Array<[number, number]>, item: [number, number]): void {
  h.push(item)
  let i = h.length - 1
  while (i > 0) {
    const p = (i - 1) >> 1
    if ((h[p] as [number, number])[0] <= item[0]) break
    h[i] = h[p] as [number, number]
    i = p
  }
  h[i] = item
}

function heapPop (h: Array<[number, number]>): [number, number] {
  const top = h[0] as [number, number]
  const last = h.pop() as [number, number]
  if (h.length === 0) return top
  let i = 0
  for (;;) {
    const l = 2 * i + 1
    if (l >= h.length) break
    const r = l + 1
    const c = r < h.length && (h[r] as [number, number])[0] < (h[l] as [number, number])[0] ? r : l
    if ((h[c] as [number, number])[0] >= last[0]) break
    h[i] = h[c] as [number, number]
    i = c
  }
  h[i] = last
  return top
}
