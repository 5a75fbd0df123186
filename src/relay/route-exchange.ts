/**
 * The relay's side of route flooding (docs/ARCHITECTURE.md, "Routes"): which relays it
 * links to and by which kind of link, its own announcement (a version that grows with
 * every change, refreshed every `announceIntervalMs`), and what it does with the
 * announcements it hears: keep what the policy imports, flood what is new on to the
 * other neighbours, and export to each link only what the policy allows there.
 *
 * An announcement goes as pieces under the wire's caps (./route-pieces.ts): the refresh
 * and a link coming up send every piece, and each piece heard is flooded on once per
 * version, as it comes, whether or not its version is complete here yet.
 */
import type { RouteAnnouncement } from '../wire/envelope.pb.js'
import { splitAnnouncement } from './route-pieces.js'
import type { ForwardingTable } from './forwarding-table.js'
import type { RelayGate } from './relay-gate.js'
import type { LinkKind } from './policy.js'
import type { Clock } from './clock.js'
import type { RelayConfig, RelayIO } from './types.js'

export interface RouteExchangeInit {
  self: string
  table: ForwardingTable
  gate: RelayGate
  io: RelayIO
  clock: Clock
  config: RelayConfig
  /** Routes were learnt, lost or expired (sequencer claims may have changed). */
  routesChanged: () => void
}

export class RouteExchange {
  private readonly init: RouteExchangeInit
  /** Linked relays, with the kind of each link. */
  private readonly neighbours = new Map<string, LinkKind>()
  private version = 0
  /** How long building and queueing our last announcement took (ms), and its pieces. */
  private announceCost = 0
  private announcePieces = 1
  private announceTimer?: unknown
  private refreshTimer?: unknown
  private stopped = false

  constructor (init: RouteExchangeInit) {
    this.init = init
  }

  /** Starts the periodic refresh (expiry of stale routes, re-announcement of our own). */
  start (): void { this.refresh() }

  private refresh (): void {
    if (this.stopped) return
    if (this.init.table.expire(this.init.clock.now()).length > 0) this.init.routesChanged()
    this.announce()
    this.refreshTimer = this.init.clock.setTimeout(() => { this.refresh() }, this.init.config.announceIntervalMs)
  }

  get ids (): string[] { return [...this.neighbours.keys()] }
  has (peer: string): boolean { return this.neighbours.has(peer) }
  kind (peer: string): LinkKind | undefined { return this.neighbours.get(peer) }

  linkUp (peer: string, kind: LinkKind): void {
    this.neighbours.set(peer, kind)
    for (const piece of this.own()) this.send(peer, piece)
    for (const ann of this.init.table.knownAnnouncements()) {
      if (ann.origin !== peer && ann.hops + 1 < ann.hopLimit) this.send(peer, { ...ann, hops: ann.hops + 1 })
    }
  }

  linkDown (peer: string): void {
    if (!this.neighbours.delete(peer)) return
    if (this.init.table.removeNeighbour(peer).length > 0) this.init.routesChanged()
  }

  /** An announcement (or one piece of one) from a neighbour. */
  heard (peer: string, announcement: RouteAnnouncement): void {
    // Only the routes the policy imports from this link are kept (and passed on). A piece
    // whose routes are all refused still counts toward its version being complete.
    const names = this.init.gate.imported(peer, this.neighbours.get(peer) ?? 'mesh', announcement.names)
    const ann = names === announcement.names ? announcement : { ...announcement, names }
    const result = this.init.table.apply(peer, ann, this.init.clock.now())
    if (result !== 'new' && result !== 'piece') return
    if (ann.hops + 1 < ann.hopLimit) {
      const next = { ...ann, hops: ann.hops + 1 }
      for (const n of this.neighbours.keys()) if (n !== peer && n !== ann.origin) this.send(n, next)
    }
    if (result === 'piece') return
    // Join the topic of every multicast name in use in the mesh, so that the relays on a
    // topic stay connected through this one (gossipsub only forwards among a topic's
    // subscribers). An agent's own name, reachable only, is no topic.
    for (const [name, r] of this.init.table.routesOf(ann.origin) ?? []) if (r.instances.length > 0 || r.sequencerSince > 0) this.init.io.setTopic(name, true)
    this.init.routesChanged()
  }

  /**
   * Our own routes changed: announce them soon (changes within a few ms go out together).
   * Each announcement costs its size here (more than is measured: it is encoded when the
   * link writes it) and at every relay it floods to, so a relay with a large table waits
   * longer: ten times what the last one took here, and 200 ms for every piece past the
   * first, a second at most. 20,000 subscriptions made one by one then go out as a few
   * versions, not as 20,000 versions of 20,000 names.
   */
  schedule (): void {
    if (this.announceTimer != null || this.stopped) return
    const delay = Math.min(1000, Math.max(5, 10 * this.announceCost, 200 * (this.announcePieces - 1)))
    this.announceTimer = this.init.clock.setTimeout(() => { this.announceTimer = undefined; this.announce() }, delay)
  }

  /** Sends an announcement with only the routes the policy exports to that link. */
  private send (peer: string, ann: RouteAnnouncement): void {
    const names = this.init.gate.exported(peer, this.neighbours.get(peer) ?? 'mesh', ann.names)
    this.init.io.sendAnnouncement(peer, names === ann.names ? ann : { ...ann, names })
  }

  /** The pieces of our current version (a withdrawal is one piece with no routes). */
  private own (withdrawn = false): RouteAnnouncement[] {
    const { config, table, io } = this.init
    return splitAnnouncement({
      origin: this.init.self,
      version: this.version,
      hops: 0,
      hopLimit: config.announceHopLimit,
      ttlMs: config.routeTtlMs,
      names: withdrawn ? [] : table.ownRoutes(),
      addrs: io.addrs(),
      withdrawn,
      piece: 0,
      pieces: 0
    })
  }

  private announce (withdrawn = false): void {
    const start = this.init.clock.now()
    this.version = Math.max(this.version + 1, start)
    const pieces = this.own(withdrawn)
    for (const n of this.neighbours.keys()) for (const piece of pieces) this.send(n, piece)
    this.announceCost = this.init.clock.now() - start
    this.announcePieces = pieces.length
  }

  /** Stops refreshing and tells every neighbour our routes are withdrawn. */
  stop (): void {
    this.stopped = true
    if (this.refreshTimer != null) this.init.clock.clearTimeout(this.refreshTimer)
    if (this.announceTimer != null) this.init.clock.clearTimeout(this.announceTimer)
    this.announce(true)
  }
}
