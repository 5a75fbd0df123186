/**
 * The forwarding table: which names have subscribers here and at which remote relays,
 * where each name's sequencer is, and the next hop toward every known relay.
 *
 * Routes are learnt from announcements flooded from their origin (link-state style, not
 * distance vector, so there is no count to infinity): each relay originates one
 * announcement of its own names with a growing version; a relay keeps the newest
 * version per origin, records every neighbour it heard that version from and at how
 * many hops, and floods a newer version on (until the hop limit). A route is gone when
 * its origin stops refreshing it (expiry), withdraws it, or every neighbour it was heard
 * through goes away. Loops cannot form: the origin drops its own announcement, and a
 * version is flooded once.
 *
 * A version too large for one frame comes in pieces (./route-pieces.ts); it is applied
 * only once every piece is in (./route-assembly.ts), and until then the origin's last
 * complete version stays in force.
 */
import type { NameRoute, RouteAnnouncement } from '../wire/envelope.pb.js'
import { RouteAssembly } from './route-assembly.js'
import { isPiece, mergePieces } from './route-pieces.js'

export interface RemoteRelay {
  origin: string
  version: number
  addrs: string[]
  names: Map<string, RemoteName>
  /** neighbour -> hops to the origin through it */
  paths: Map<string, number>
  expiresAt: number
  /** The version as heard (its pieces, or the one whole announcement), to pass on to a new neighbour. */
  pieces: RouteAnnouncement[]
}

/** What an origin announced for one name. */
export interface RemoteName {
  /** Instances subscribed to the name there: anycast and multicast reach them. */
  instances: string[]
  sequencerSince: number
  /** Agents attached there under this service name: unicast and replies reach them. */
  reachable: string[]
  /** The origin's lease term for its claim (0: no leases). */
  sequencerTerm: number
  /** The relays that keep copies of the name's archive under that term. */
  replicas: string[]
}

/** A name's sequencer as the table knows it. */
export interface SequencerClaim {
  relay: string
  since: number
  /** The lease term (0: no controller leases, the earliest claim wins). */
  term: number
  replicas: string[]
}

/** How many names' last known sequencers a relay remembers. */
const REMEMBERED_SEQUENCERS = 65_536

/**
 * 'new': a version applied (flood it on, routes changed); 'piece': a new piece of a
 * version not complete yet (flood it on, nothing applied); 'alternative': a further path
 * for what was heard already; 'stale', 'self': ignored.
 */
export type ApplyResult = 'self' | 'stale' | 'alternative' | 'piece' | 'new'

export interface RouteTarget {
  relay: string
  instance: string
  hops: number
}

export class ForwardingTable {
  readonly self: string
  /** Local subscriptions: name -> instance ids subscribed here. */
  private readonly local = new Map<string, Set<string>>()
  /**
   * Agents attached here, by their service name: reachable for unicast and replies
   * whether or not they subscribe to anything (but not anycast instances until they do).
   */
  private readonly attached = new Map<string, Set<string>>()
  /** Names this relay sequences, with when it claimed them (and its lease). */
  private readonly localSequencer = new Map<string, { since: number, term: number, replicas: string[] }>()
  private readonly remote = new Map<string, RemoteRelay>()
  /** Pieces of versions not complete yet. */
  private readonly assembly = new RouteAssembly()
  /** Withdrawn origins, remembered until their TTL ends so that a late older copy cannot revive them. */
  private readonly withdrawn = new Map<string, { version: number, expiresAt: number }>()
  private readonly anycastCursor = new Map<string, number>()
  /** name -> origins announcing it, so lookups cost the relays hosting a name, not all relays. */
  private readonly byName = new Map<string, Set<string>>()
  /**
   * name -> origins claiming to sequence it. `sequencerOf` runs for every name a relay
   * keeps on every new announcement; scanning every relay hosting the name made that
   * quadratic in the mesh's size (a name with subscribers on most of 1,000 relays).
   */
  private readonly claims = new Map<string, Set<string>>()
  /** The last sequencer seen for each name, live or not. */
  private readonly remembered = new Map<string, SequencerClaim>()

  private index (r: RemoteRelay): void {
    for (const [name, n] of r.names) {
      let set = this.byName.get(name)
      if (set == null) { set = new Set(); this.byName.set(name, set) }
      set.add(r.origin)
      if (n.sequencerSince > 0) {
        let c = this.claims.get(name)
        if (c == null) { c = new Set(); this.claims.set(name, c) }
        c.add(r.origin)
      }
    }
  }

  private unindex (r: RemoteRelay): void {
    for (const name of r.names.keys()) {
      const set = this.byName.get(name)
      if (set != null) {
        set.delete(r.origin)
        if (set.size === 0) this.byName.delete(name)
      }
      const c = this.claims.get(name)
      if (c != null) {
        c.delete(r.origin)
        if (c.size === 0) this.claims.delete(name)
      }
    }
  }

  private drop (origin: string): void {
    const r = this.remote.get(origin)
    if (r == null) return
    this.unindex(r)
    this.remote.delete(origin)
  }

  /** The remote relays that announce `name`. */
  private hosting (name: string): RemoteRelay[] {
    const out: RemoteRelay[] = []
    for (const o of this.byName.get(name) ?? []) {
      const r = this.remote.get(o)
      if (r != null) out.push(r)
    }
    return out
  }

  constructor (self: string) {
    this.self = self
  }

  // ---- local state ----

  addLocal (name: string, instance: string): boolean {
    let set = this.local.get(name)
    if (set == null) { set = new Set(); this.local.set(name, set) }
    if (set.has(instance)) return false
    set.add(instance)
    return true
  }

  removeLocal (name: string, instance: string): boolean {
    const set = this.local.get(name)
    if (set?.delete(instance) !== true) return false
    if (set.size === 0) this.local.delete(name)
    return true
  }

  /** An agent attached here: reachable at its own name. */
  addAttached (service: string, instance: string): boolean {
    let set = this.attached.get(service)
    if (set == null) { set = new Set(); this.attached.set(service, set) }
    if (set.has(instance)) return false
    set.add(instance)
    return true
  }

  removeAttached (service: string, instance: string): boolean {
    const set = this.attached.get(service)
    if (set?.delete(instance) !== true) return false
    if (set.size === 0) this.attached.delete(service)
    return true
  }

  /** Whether `instance` serves `name` here (an anycast instance). */
  isLocalInstance (name: string, instance: string): boolean { return this.local.get(name)?.has(instance) === true }

  localInstances (name: string): string[] {
    return [...(this.local.get(name) ?? [])]
  }

  hasLocal (name: string): boolean { return this.local.has(name) }

  claimSequencer (name: string, since: number, term = 0, replicas: string[] = []): void { this.localSequencer.set(name, { since, term, replicas }) }
  releaseSequencer (name: string): void { this.localSequencer.delete(name) }

  /** This relay's own routes, for its announcement. */
  ownRoutes (): NameRoute[] {
    const names = new Set([...this.local.keys(), ...this.localSequencer.keys(), ...this.attached.keys()])
    return [...names].sort().map(name => ({
      name,
      instances: [...(this.local.get(name) ?? [])].sort(),
      sequencerSince: this.localSequencer.get(name)?.since ?? 0,
      reachable: [...(this.attached.get(name) ?? [])].sort(),
      sequencerTerm: this.localSequencer.get(name)?.term ?? 0,
      replicas: this.localSequencer.get(name)?.replicas ?? []
    }))
  }

  // ---- learnt routes ----

  apply (neighbour: string, ann: RouteAnnouncement, now: number): ApplyResult {
    if (ann.origin === this.self) return 'self'
    const hops = ann.hops + 1
    const tomb = this.withdrawn.get(ann.origin)
    if (tomb != null) {
      if (ann.version <= tomb.version) return 'stale'
      this.withdrawn.delete(ann.origin)
    }
    const known = this.remote.get(ann.origin)
    if (known != null && ann.version < known.version) return 'stale'
    if (known != null && ann.version === known.version) {
      const prev = known.paths.get(neighbour)
      if (prev == null || hops < prev) known.paths.set(neighbour, hops)
      return 'alternative'
    }
    if (ann.withdrawn) {
      this.drop(ann.origin)
      this.assembly.forget(ann.origin)
      this.withdrawn.set(ann.origin, { version: ann.version, expiresAt: now + ann.ttlMs })
      return 'new'
    }
    let pieces = [ann]
    let paths = new Map([[neighbour, hops]])
    if (isPiece(ann)) {
      const done = this.assembly.add(neighbour, hops, ann, now)
      if (typeof done === 'string') return done
      ;({ pieces, paths } = done)
    } else {
      this.assembly.settled(ann.origin, ann.version)
    }
    this.drop(ann.origin)
    const entry: RemoteRelay = {
      origin: ann.origin,
      version: ann.version,
      addrs: ann.addrs,
      names: mergePieces(pieces),
      paths,
      expiresAt: now + ann.ttlMs,
      pieces
    }
    this.remote.set(ann.origin, entry)
    this.index(entry)
    return 'new'
  }

  /** Forgets every path through `neighbour`; returns the origins now unreachable. */
  removeNeighbour (neighbour: string): string[] {
    this.assembly.removeNeighbour(neighbour)
    const lost: string[] = []
    for (const [origin, r] of this.remote) {
      r.paths.delete(neighbour)
      if (r.paths.size === 0) {
        this.drop(origin)
        lost.push(origin)
      }
    }
    return lost
  }

  /** Drops routes not refreshed in time; returns the origins dropped. */
  expire (now: number): string[] {
    const lost: string[] = []
    for (const [origin, r] of this.remote) {
      if (r.expiresAt <= now) { this.drop(origin); lost.push(origin) }
    }
    for (const [origin, t] of this.withdrawn) if (t.expiresAt <= now) this.withdrawn.delete(origin)
    this.assembly.expire(now)
    return lost
  }

  /**
   * Every announcement known, to bring a new neighbour up to date: every piece of each
   * applied version, and the pieces held of versions not complete yet (the rest of them
   * is flooded to the new neighbour as it comes).
   */
  knownAnnouncements (): RouteAnnouncement[] {
    const out: RouteAnnouncement[] = []
    for (const r of this.remote.values()) {
      const hops = Math.min(...r.paths.values()) - 1
      for (const p of r.pieces) out.push({ ...p, hops })
    }
    return out.concat(this.assembly.held())
  }

  relays (): RemoteRelay[] { return [...this.remote.values()] }

  /** What `origin`'s applied version announces, by name. */
  routesOf (origin: string): ReadonlyMap<string, RemoteName> | undefined { return this.remote.get(origin)?.names }

  nextHop (relay: string): string | undefined {
    const r = this.remote.get(relay)
    if (r == null) return undefined
    let best: string | undefined
    let bestHops = Infinity
    for (const [n, h] of r.paths) {
      if (h < bestHops || (h === bestHops && best != null && n < best)) { best = n; bestHops = h }
    }
    return best
  }

  /** The best next hop toward `relay` other than `avoid` (split horizon), if any. */
  nextHopAvoiding (relay: string, avoid: string): string | undefined {
    const r = this.remote.get(relay)
    if (r == null) return undefined
    let best: string | undefined
    let bestHops = Infinity
    for (const [n, h] of r.paths) {
      if (n === avoid) continue
      if (h < bestHops || (h === bestHops && best != null && n < best)) { best = n; bestHops = h }
    }
    return best
  }

  distance (relay: string): number {
    if (relay === this.self) return 0
    const r = this.remote.get(relay)
    return r == null ? Infinity : Math.min(...r.paths.values())
  }

  addrsOf (relay: string): string[] { return this.remote.get(relay)?.addrs ?? [] }

  /** Every name with subscribers or a sequencer anywhere known. */
  knownNames (): Set<string> {
    return new Set([...this.local.keys(), ...this.localSequencer.keys(), ...this.byName.keys()])
  }

  /** Whether `name` has subscribers or a sequencer anywhere known. */
  isKnown (name: string): boolean {
    return this.local.has(name) || this.localSequencer.has(name) || this.byName.has(name)
  }

  /**
   * The name's sequencer: the claim of the highest lease term wins, then the earliest
   * claim, ties broken by the lower peer id, so every relay that knows the same claims
   * picks the same one. When no live claim is
   * known (the sequencer is down, or this relay has just started), the last one seen is
   * still the answer: messages for a name whose sequencer is unreachable fail, they do
   * not start a second numbering (no split brain).
   */
  sequencerOf (name: string): SequencerClaim | undefined {
    const live = this.liveSequencerOf(name)
    const had = this.remembered.get(name)
    // A lower term than one seen is stale (a fenced sequencer still announcing): the newer one stands.
    if (live != null && had != null && had.term > live.term) return had
    if (live != null) {
      this.remember(name, live.relay, live.since, live.term, live.replicas)
      return live
    }
    return had
  }

  /** Records `relay` as the last known sequencer of `name` (bounded, oldest forgotten first). */
  remember (name: string, relay: string, since: number, term = 0, replicas: string[] = []): void {
    const had = this.remembered.get(name)
    if (had?.relay === relay && had.since === since && had.term === term && had.replicas.length === replicas.length) return
    this.remembered.delete(name)
    this.remembered.set(name, { relay, since, term, replicas })
    if (this.remembered.size > REMEMBERED_SEQUENCERS) this.remembered.delete(this.remembered.keys().next().value as string)
  }

  /** Forgets the remembered sequencer of `name` (after this relay handed it over). */
  forgetSequencer (name: string): void { this.remembered.delete(name) }

  private liveSequencerOf (name: string): SequencerClaim | undefined {
    let best: SequencerClaim | undefined
    const consider = (relay: string, since: number, term: number, replicas: string[]): void => {
      if (since <= 0) return
      if (best == null || term > best.term || (term === best.term && (since < best.since || (since === best.since && relay < best.relay)))) best = { relay, since, term, replicas }
    }
    const own = this.localSequencer.get(name)
    if (own != null) consider(this.self, own.since, own.term, own.replicas)
    for (const origin of this.claims.get(name) ?? []) {
      const n = this.remote.get(origin)?.names.get(name)
      if (n != null) consider(origin, n.sequencerSince, n.sequencerTerm ?? 0, n.replicas ?? [])
    }
    return best
  }

  /** The relay where the agent `name/instance` is attached (or subscribed), local first. */
  findInstance (name: string, instance: string): string | undefined {
    if (this.attached.get(name)?.has(instance) === true || this.local.get(name)?.has(instance) === true) return this.self
    let best: string | undefined
    let bestHops = Infinity
    for (const r of this.hosting(name)) {
      const n = r.names.get(name)
      if (n != null && (n.reachable.includes(instance) || n.instances.includes(instance))) {
        const d = this.distance(r.origin)
        // Ties go to the lower peer id, so every relay picks the same one.
        if (d < bestHops || (d === bestHops && best != null && r.origin < best)) { best = r.origin; bestHops = d }
      }
    }
    return best
  }

  /**
   * Anycast: one instance of `name`. Nearest first (local instances, else the relays at
   * the fewest hops), then round robin across the instances at that distance, so load
   * spreads evenly across instances, not relays.
   */
  pickAnycast (name: string): RouteTarget | undefined {
    const local = this.local.get(name)
    let candidates: RouteTarget[] = []
    if (local != null && local.size > 0) {
      candidates = [...local].sort().map(instance => ({ relay: this.self, instance, hops: 0 }))
    } else {
      let bestHops = Infinity
      for (const r of this.hosting(name)) {
        const n = r.names.get(name)
        if (n == null || n.instances.length === 0) continue
        const d = this.distance(r.origin)
        if (d < bestHops) { bestHops = d; candidates = [] }
        if (d === bestHops) for (const instance of n.instances) candidates.push({ relay: r.origin, instance, hops: d })
      }
      candidates.sort((a, b) => a.relay === b.relay ? (a.instance < b.instance ? -1 : 1) : (a.relay < b.relay ? -1 : 1))
    }
    if (candidates.length === 0) return undefined
    const i = (this.anycastCursor.get(name) ?? 0) % candidates.length
    this.anycastCursor.set(name, i + 1)
    return candidates[i]
  }
}
