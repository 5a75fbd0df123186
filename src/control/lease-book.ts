/**
 * The sequencer leases a controller grants: for each multicast name, the relay that
 * numbers it (the holder), under which term, and the replica relays that keep copies of
 * its archive. A term only grows, so a relay that held an older one (a sequencer back from
 * a crash, or cut off) can number nothing that counts: its replicas refuse it.
 *
 * - A claim for a name nobody holds makes term 1, held by the claimer, with replicas
 *   chosen among the live relays (rendezvous hashing on the name, so names spread).
 * - A claim for a held name answers the lease as it stands (the claimer learns the holder).
 * - When a relay goes down, every lease it holds moves to one of its live replicas with the
 *   next term (a replica that is not catching up holds every acknowledged message: the
 *   sequencer acknowledges only what all its replicas hold), and every lease where it is a
 *   replica gets a live replacement (none live: it stays, and the holder acknowledges
 *   nothing new until it is back, rather than keep fewer copies). A replica added under a term is catching up (it lacks
 *   part of what was acknowledged) until the holder says it has caught up: no lease moves
 *   to it before, and the sequencer acknowledges nothing new until it has.
 * - A lease whose holder is down with no live replica that has caught up stays where it
 *   is: the name waits for its holder (nobody else has all its history).
 *
 * Leases are kept in the controller's store (`ctl/lease/<name>`), so a restarted
 * controller, or with etcd the next leader, has them all.
 */
import type { Store } from '../store/store.js'
import type { SequencerLease } from '../relay/sequencer-leases.js'

export type { SequencerLease } from '../relay/sequencer-leases.js'

const PREFIX = 'ctl/lease/'

/** 32-bit FNV-1a of `s`, continuing from `h`. */
function fnv1a (s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export interface LeaseBookInit {
  store: Pick<Store, 'get' | 'put' | 'del' | 'list'>
  /** The relays up now. */
  live: () => string[]
  /** How many relays keep each name's archive, the holder included. */
  replicationOf: (name: string) => number
  now?: () => number
}

export class LeaseBook {
  private readonly init: LeaseBookInit
  private readonly leases = new Map<string, SequencerLease>()
  /** Changes to one name run one at a time. */
  private queue: Promise<unknown> = Promise.resolve()

  private constructor (init: LeaseBookInit) { this.init = init }

  static async load (init: LeaseBookInit): Promise<LeaseBook> {
    const book = new LeaseBook(init)
    for (const [, v] of await init.store.list(PREFIX)) {
      const lease = JSON.parse(new TextDecoder().decode(v)) as SequencerLease
      book.leases.set(lease.name, lease)
    }
    return book
  }

  get (name: string): SequencerLease | undefined { return this.leases.get(name) }
  all (): SequencerLease[] { return [...this.leases.values()] }
  /** Leases `peer` holds. */
  heldBy (peer: string): SequencerLease[] { return this.all().filter(l => l.holder === peer) }

  /** The name's lease, granted to `peer` if nobody holds it. */
  async claim (name: string, peer: string): Promise<SequencerLease> {
    return await this.serially(async () => {
      const held = this.leases.get(name)
      if (held != null) return held
      const lease: SequencerLease = { name, term: 1, holder: peer, replicas: this.pickReplicas(name, [peer], this.init.replicationOf(name) - 1), since: this.now() }
      await this.save(lease)
      return lease
    })
  }

  /**
   * `peer` went down: its leases fail over to a live replica, and it is replaced where it
   * was a replica. Returns every lease that changed, with the holder it had before.
   */
  async relayDown (peer: string): Promise<Array<{ lease: SequencerLease, previous: string }>> {
    return await this.serially(async () => {
      const live = new Set(this.init.live())
      live.delete(peer)
      const changed: Array<{ lease: SequencerLease, previous: string }> = []
      for (const lease of [...this.leases.values()]) {
        const catching = new Set(lease.catchingUp ?? [])
        if (lease.holder === peer) {
          const next = lease.replicas.find(r => live.has(r) && !catching.has(r))
          if (next == null) continue
          const kept = lease.replicas.filter(r => r !== next && live.has(r))
          const wanted = this.init.replicationOf(lease.name) - 1
          const added = this.pickReplicas(lease.name, [next, ...kept, peer], wanted - kept.length)
          const replicas = [...kept, ...added]
          // Under the new term, what the new holder has is the history: a kept replica still catching up goes on doing so.
          const catchingUp = [...kept.filter(r => catching.has(r)), ...added]
          const moved: SequencerLease = { name: lease.name, term: lease.term + 1, holder: next, replicas, catchingUp, since: this.now() }
          await this.save(moved)
          changed.push({ lease: moved, previous: peer })
        } else if (lease.replicas.includes(peer)) {
          const kept = lease.replicas.filter(r => r !== peer)
          const added = this.pickReplicas(lease.name, [lease.holder, ...kept, peer], 1)
          // Nobody to take its place: it stays (the holder acknowledges nothing until it is back), rather than fewer copies.
          if (added.length === 0) continue
          const updated: SequencerLease = { ...lease, replicas: [...kept, ...added], catchingUp: [...[...catching].filter(r => r !== peer), ...added] }
          await this.save(updated)
          changed.push({ lease: updated, previous: lease.holder })
        }
      }
      return changed
    })
  }

  /**
   * `peer` is up (again, or new): leases short of replicas (their relays were down with
   * nobody to replace them) take it. Returns the leases that changed.
   */
  async relayUp (peer: string): Promise<SequencerLease[]> {
    return await this.serially(async () => {
      const changed: SequencerLease[] = []
      for (const lease of [...this.leases.values()]) {
        if (lease.holder === peer || lease.replicas.includes(peer)) continue
        if (lease.replicas.length >= this.init.replicationOf(lease.name) - 1) continue
        const updated: SequencerLease = { ...lease, replicas: [...lease.replicas, peer], catchingUp: [...(lease.catchingUp ?? []), peer] }
        await this.save(updated)
        changed.push(updated)
      }
      return changed
    })
  }

  /** The holder of `name` under `term` says `replica` has caught up; returns the lease if it changed. */
  async caughtUp (name: string, term: number, holder: string, replica: string): Promise<SequencerLease | undefined> {
    return await this.serially(async () => {
      const lease = this.leases.get(name)
      if (lease == null || lease.term !== term || lease.holder !== holder || !(lease.catchingUp ?? []).includes(replica)) return undefined
      const updated: SequencerLease = { ...lease, catchingUp: (lease.catchingUp ?? []).filter(r => r !== replica) }
      await this.save(updated)
      return updated
    })
  }

  /** Forgets the lease of `name` (the operator removed the name, or its relays left for good). */
  async drop (name: string): Promise<void> {
    await this.serially(async () => {
      this.leases.delete(name)
      await this.init.store.del(PREFIX + name)
    })
  }

  /** `count` live relays not in `exclude`, by rendezvous hashing on the name. */
  private pickReplicas (name: string, exclude: string[], count: number): string[] {
    if (count <= 0) return []
    const skip = new Set(exclude)
    // A weight per relay, from the name's hash on: no cryptography needed to spread names, and
    // a claim stays cheap at 1,000 relays (a SHA-256 per relay cost 3.5 ms a claim).
    const seed = fnv1a(name + '\0')
    const best: Array<{ p: string, w: number }> = []
    for (const p of this.init.live()) {
      if (skip.has(p)) continue
      const w = fnv1a(p, seed)
      if (best.length === count && w >= (best[best.length - 1] as { w: number }).w) continue
      best.push({ p, w })
      best.sort((a, b) => a.w - b.w || (a.p < b.p ? -1 : 1))
      if (best.length > count) best.pop()
    }
    return best.map(x => x.p)
  }

  private async save (lease: SequencerLease): Promise<void> {
    await this.init.store.put(PREFIX + lease.name, new TextEncoder().encode(JSON.stringify(lease)))
    this.leases.set(lease.name, lease)
  }

  private now (): number { return (this.init.now ?? Date.now)() }

  private async serially<T> (f: () => Promise<T>): Promise<T> {
    const run = this.queue.then(f)
    this.queue = run.catch(() => {})
    return await run
  }
}
