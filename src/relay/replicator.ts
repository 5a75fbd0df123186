/**
 * The sequencer's side of replication for one name, under one lease term: it sends what
 * the sequencer archives to each replica of the lease (`Replicate`, routed to it), reads
 * their answers (`ReplicaAck`: what each holds durably, in order), and says how far every
 * replica holds the archive (`onCommit`): the sequencer acknowledges and publishes up to
 * there, so an acknowledged message is on every replica and survives its sequencer.
 *
 * A replica in step gets each batch as it is archived. One behind (new, back from a
 * restart, or its answer said it holds less than was sent) is brought up from the archive,
 * a page at a time, at most `WINDOW` messages ahead of its answers. An unanswered send is
 * sent again after `retryMs`. An answer with a newer term fences the sequencer
 * (`onFenced`): a controller gave the lease to someone else. A replica the lease names as
 * catching up is reported (`onCaughtUp`) once it holds everything acknowledged: from
 * then on the lease may move to it.
 */
import type { ReplicaAck, Replicate } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import type { Store } from '../store/store.js'
import type { Clock } from './clock.js'

/** Messages sent to a replica beyond its last answer, at most. */
const WINDOW = 2048
/** One catch-up page: messages and bytes at most. */
const PAGE = 256
const PAGE_BYTES = 1024 * 1024

interface Peer {
  /** The highest sequence number it said it holds (-1: not heard from under this term). */
  acked: number
  /** The highest sent to it. */
  sent: number
  /** When something was last sent to it. */
  at: number
  /** A catch-up read is under way. */
  reading: boolean
}

export interface ReplicatorInit {
  name: string
  term: number
  replicas: string[]
  /** Replicas that lack part of what was acknowledged. */
  catchingUp?: string[]
  store: Store
  clock: Clock
  /** Sends a `Replicate` to a replica relay. */
  send: (to: string, r: Replicate) => void
  /** Every replica holds the archive up to `head`. */
  onCommit: (head: number) => void
  /** A replica knows a newer term. */
  onFenced: (term: number, by: string) => void
  /** A catching-up replica holds everything acknowledged now. */
  onCaughtUp?: (replica: string) => void
  retryMs: number
  onError?: (err: Error) => void
}

export class Replicator {
  private readonly init: ReplicatorInit
  private readonly peers = new Map<string, Peer>()
  /** The sequencer's durable head. */
  private head = 0
  /** What every replica holds. */
  commit = 0
  /** The channel's epoch and roles after the head, passed along. */
  private epoch = 0
  private roles?: string
  private timer?: unknown
  private stopped = false
  private readonly catchingUp: Set<string>

  constructor (init: ReplicatorInit) {
    this.init = init
    this.catchingUp = new Set(init.catchingUp ?? [])
    for (const r of init.replicas) this.peers.set(r, { acked: -1, sent: 0, at: 0, reading: false })
  }

  get replicas (): string[] { return [...this.peers.keys()] }

  /** Starts from the archive as it is: asks every replica where it stands. */
  start (head: number, commit: number, epoch: number, roles?: string): void {
    this.head = head
    this.commit = Math.min(commit, head)
    this.epoch = epoch
    this.roles = roles
    for (const [to] of this.peers) this.probe(to)
    this.tick()
    this.checkCommit()
  }

  /** The replica set changed under the same term. */
  setReplicas (replicas: string[], catchingUp: string[] = []): void {
    const next = new Set(replicas)
    for (const r of catchingUp) if (!this.peers.has(r)) this.catchingUp.add(r)
    for (const r of [...this.peers.keys()]) if (!next.has(r)) this.peers.delete(r)
    for (const r of replicas) {
      if (!this.peers.has(r)) { this.peers.set(r, { acked: -1, sent: 0, at: 0, reading: false }); this.probe(r) }
    }
    this.checkCommit()
  }

  /** The sequencer archived `entries` (consecutive, from `from`). */
  appended (from: number, entries: Replicate['entries'], epoch: number, roles?: string): void {
    this.head = from + entries.length - 1
    this.epoch = epoch
    this.roles = roles
    for (const [to, p] of this.peers) {
      if (p.acked >= 0 && p.sent === from - 1 && p.sent - p.acked + entries.length <= WINDOW && !p.reading) {
        p.sent = this.head
        p.at = this.init.clock.now()
        this.init.send(to, this.frame(from, entries))
      } else {
        this.pump(to, p)
      }
    }
    this.checkCommit()
  }

  /** A replica's answer. */
  answered (from: string, ack: ReplicaAck): void {
    if (ack.code === ErrorCode.STALE_TERM || ack.term > this.init.term) { this.init.onFenced(ack.term, from); return }
    const p = this.peers.get(from)
    if (p == null || ack.term !== this.init.term || ack.code !== 0) return
    p.acked = Math.max(p.acked, ack.head)
    // It holds less than was sent (a page lost, or it dropped what an old term left): from its head on again.
    if (ack.head < p.sent && this.init.clock.now() - p.at >= this.init.retryMs) p.sent = ack.head
    if (p.sent < p.acked) p.sent = p.acked
    this.pump(from, p)
    this.checkCommit()
    if (this.catchingUp.has(from) && p.acked >= this.commit) {
      this.catchingUp.delete(from)
      this.init.onCaughtUp?.(from)
    }
  }

  stop (): void {
    this.stopped = true
    if (this.timer != null) this.init.clock.clearTimeout(this.timer as never)
  }

  private frame (from: number, entries: Replicate['entries']): Replicate {
    return { name: this.init.name, term: this.init.term, from, entries, commit: this.commit, first: 0, epoch: this.epoch, ...(this.roles != null ? { roles: this.roles } : {}) }
  }

  private probe (to: string): void {
    const p = this.peers.get(to)
    if (p != null) p.at = this.init.clock.now()
    this.init.send(to, this.frame(this.head + 1, []))
  }

  /** Sends a replica what it lacks, from the archive, within the window. */
  private pump (to: string, p: Peer): void {
    if (this.stopped || p.reading || p.acked < 0 || p.sent >= this.head || p.sent - p.acked >= WINDOW) return
    p.reading = true
    const from = p.sent + 1
    void this.readPage(from).then(async (page) => {
      p.reading = false
      if (this.stopped || !this.peers.has(to) || page.length === 0) return
      if (page[0]?.seq !== from) {
        // Trimmed below what it holds: it starts from the oldest kept.
        const first = await this.init.store.first(this.init.name)
        this.init.send(to, { ...this.frame(page[0]?.seq ?? from, page.map(m => m.bytes as Replicate['entries'][number])), first })
      } else {
        this.init.send(to, this.frame(from, page.map(m => m.bytes as Replicate['entries'][number])))
      }
      p.sent = (page[page.length - 1]?.seq ?? p.sent)
      p.at = this.init.clock.now()
      this.pump(to, p)
    }).catch(err => { p.reading = false; this.init.onError?.(err as Error) })
  }

  private async readPage (from: number): Promise<Array<{ seq: number, bytes: Uint8Array }>> {
    const page = await this.init.store.range(this.init.name, from, PAGE, PAGE_BYTES)
    return page.filter(m => m.seq <= this.head)
  }

  private checkCommit (): void {
    let commit = this.head
    for (const p of this.peers.values()) commit = Math.min(commit, Math.max(0, p.acked))
    if (commit > this.commit) {
      this.commit = commit
      this.init.onCommit(commit)
    }
  }

  /** Sends again what got no answer in time; asks replicas not heard from. */
  private tick (): void {
    if (this.stopped) return
    const now = this.init.clock.now()
    for (const [to, p] of this.peers) {
      if (now - p.at < this.init.retryMs) continue
      if (p.acked < 0) this.probe(to)
      else if (p.sent > p.acked) { p.sent = p.acked; this.pump(to, p) }
      else if (p.acked < this.head) this.pump(to, p)
      else if (this.commit < this.head || now - p.at >= this.init.retryMs * 4) { this.probe(to) }
    }
    this.timer = this.init.clock.setTimeout(() => { this.tick() }, this.init.retryMs)
  }
}
