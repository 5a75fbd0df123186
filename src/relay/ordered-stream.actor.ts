/**
 * One name's ordered stream at this relay: runs `orderedStreamMachine` for its phases
 * (loading, live, waiting on a gap, filling, tail checks, following a new sequencer) and
 * gives it real effects: the head request and the store read when loading, head
 * requests and range fetches from the sequencer's archive.
 *
 * The messages themselves do not go through the machine. What gossipsub brings goes
 * through a reorder buffer; what is in order is stored (so replays are served locally)
 * and pushed to each subscription positioned at it, in a plain method: the machine hears
 * only of what changes its phase (a gap seen while nothing waits on one, a gap closed
 * while waiting, traffic starting or stopping), so a stream in steady flow costs the
 * machine nothing, and the relay a flag per batch and a plain timer per `tailCheckMs`.
 *
 * A subscription that starts behind (resume after being away, `fromSeq`) replays from
 * the archive until it reaches the live head, then switches to live delivery: every
 * subscriber sees every message once, in the same order.
 */
import { createActor, fromPromise } from 'xstate'
import type { Actor } from 'xstate'
import { orderedStreamMachine } from '../machines/ordered-stream.machine.js'
import { ActorNotProvidedError } from '../machines/errors.js'
import type { FillDone, FillRequest, HeadRequest, HeadSeen, LoadRequest, OrderedStreamEvent, StreamLoaded } from '../machines/ordered-stream.machine.js'
import { stateName, transitionInspector } from '../machines/inspection.js'
import { Envelope } from '../wire/envelope.pb.js'
import type { SequencerActor } from './sequencer.actor.js'
import { ReorderBuffer } from './reorder-buffer.js'
import { HistoryTrimmedError, UnavailableError } from './errors.js'
import { ErrorCode } from '../wire/errors.js'
import type { LocalSub, MulticastHost } from './multicast-host.js'

/** What the ordered streams need of the sequencer registry. */
export interface SequencerLookup {
  /** The relay that sequences `name`, claiming it for this relay when nobody does. */
  sequencerOrClaim: (name: string) => string
  start: (name: string, since: number) => Promise<SequencerActor>
  get: (name: string) => SequencerActor | undefined
  has: (name: string) => boolean
  /** Ends this relay's claim of `name` if it has nothing to keep; whether it did. */
  retireIfIdle: (name: string) => boolean
}

export interface OrderedStreamInit {
  name: string
  host: MulticastHost
  sequencers: SequencerLookup
  /** The stream has loaded and takes messages from now on. */
  onOpen: (stream: OrderedStreamActor) => void
}

/** The machine's state, as the hot path reads it: a leaf state name. */
type Phase = 'loading' | 'live' | 'flowing' | 'gapWait' | 'filling' | 'following' | 'released' | 'failed'

const RECENT_LIMIT = 4096
/** A replay whose read failed is tried again after this, doubling up to the max. */
const REPLAY_RETRY_MS = 250
const REPLAY_RETRY_MAX_MS = 5000
export const FETCH_BATCH = 256
/**
 * Bytes per fetch reply and per replay read at most (at least one message): catch-up is
 * paced by bytes, not by message count, so a backlog of large messages never lands on a
 * stream faster than the stream drains (a page of 256 messages of 64 KiB would be 16 MiB).
 */
export const FETCH_REPLY_BYTES = 2 * 1024 * 1024

export class OrderedStreamActor {
  readonly name: string
  /** The relay that sequences the name: only it may publish on the name's topic. */
  sequencer = ''
  readonly subs = new Set<LocalSub>()
  /** Resolves once loaded; rejects if loading failed. */
  readonly ready: Promise<void>
  private readonly host: MulticastHost
  private readonly sequencers: SequencerLookup
  private readonly onOpen: (stream: OrderedStreamActor) => void
  private readonly actor: Actor<typeof orderedStreamMachine>
  private reorder = new ReorderBuffer<Envelope>(1)
  /** The highest sequence number heard of (a message, or the sequencer's head), for the lag. */
  private heard = 0
  /** Held since this relay started keeping the name: from here on, the store has every message. */
  private localFrom = 1
  /** In order but perhaps not yet durable here; and the latest ones, for quick replays. */
  private readonly recent = new Map<number, Envelope>()
  private writing: Promise<void> = Promise.resolve()
  private phase: Phase = 'loading'
  /** Messages came from gossip since `watchTraffic` last looked. */
  private trafficSeen = false
  private watchTimer: unknown
  private settle: { resolve: () => void, reject: (err: unknown) => void } = { resolve: () => {}, reject: () => {} }

  constructor (init: OrderedStreamInit) {
    this.name = init.name
    this.host = init.host
    this.sequencers = init.sequencers
    this.onOpen = init.onOpen
    this.ready = new Promise<void>((resolve, reject) => { this.settle = { resolve, reject } })
    const host = init.host
    const sink = host.onTransition
    this.actor = createActor(OrderedStreamActor.machine, {
      input: { name: init.name, self: host.self, gapWaitMs: host.config.gapWaitMs, tailCheckMs: host.config.tailCheckMs },
      clock: host.clock as never,
      inspect: transitionInspector(sink == null ? undefined : (from, to, event) => { sink(`stream:${init.name}`, from, to, event) })
    })
    owners.set(this.actor.system, this)
    this.actor.subscribe(snapshot => { this.phase = leafState(stateName(snapshot.value)) })
    this.actor.start()
  }

  /**
   * The machine with this relay's effects, made once: a machine given its effects per
   * stream would build its whole state tree again for every stream. Each effect finds its
   * stream by the actor system it runs in (one per stream).
   */
  private static readonly machine = orderedStreamMachine.provide({
    actors: {
      loadStream: fromPromise<StreamLoaded, LoadRequest>(async ({ system }) => await owner(system).load()),
      fetchHead: fromPromise<HeadSeen, HeadRequest>(async ({ input, system }) => await owner(system).fetchHead(input.sequencer)),
      fillRange: fromPromise<FillDone, FillRequest>(async ({ input, signal, system }) => await owner(system).fill(input.sequencer, input.upTo, signal))
    },
    actions: {
      openStream: ({ system }, loaded) => { owner(system).opened(loaded) },
      openFailed: ({ system }, { error }) => { owner(system).settle.reject(error) },
      adoptSequencer: ({ system }, { from, to }) => { owner(system).adopt(from, to) },
      checkTail: ({ system }, { sequencer }) => { owner(system).checkTail(sequencer) },
      watchTraffic: ({ system }, { quietMs }) => { owner(system).watchTraffic(quietMs) },
      unwatchTraffic: ({ system }) => { owner(system).unwatchTraffic() },
      noteAhead: ({ system }, { sequencer, head, next }) => {
        const s = owner(system)
        s.host.log('%s: this relay is at %d but the sequencer %s is at %d; messages sequenced by the losing claim keep their numbers here', s.name, next - 1, sequencer, head)
      },
      noteFailure: ({ system }, { what, error }) => { const s = owner(system); s.host.log('%s of %s failed: %s', what, s.name, errorMessage(error)) }
    }
  })

  private opened (loaded: StreamLoaded): void {
    this.sequencer = loaded.sequencer
    this.reorder = new ReorderBuffer(loaded.next)
    this.localFrom = loaded.localFrom
    this.hear(loaded.remoteHead)
    this.onOpen(this)
    this.settle.resolve()
  }

  /** The stream's phase: `live`, `gapWait`, `filling`, ... (for inspection and tests). */
  get state (): string { return this.phase }

  /** The last sequence number in order here. */
  get head (): number { return this.reorder.next - 1 }

  /** The sequencer's head as far as this relay knows (at least `head`). */
  get knownHead (): number { return Math.max(this.heard, this.reorder.next - 1) }

  private hear (head: number): void { if (head > this.heard) this.heard = head }

  private tell (event: OrderedStreamEvent): void {
    if (this.actor.getSnapshot().status === 'active') this.actor.send(event)
  }

  /** The claims name another sequencer for the name. */
  follow (sequencer: string): void { this.tell({ type: 'sequencer.changed', sequencer }) }

  /** Nobody here subscribes any more: stop fetching. */
  release (): void { this.tell({ type: 'stream.release' }) }

  private async load (): Promise<StreamLoaded> {
    const { host, name } = this
    const sequencer = this.sequencers.sequencerOrClaim(name)
    if (sequencer === host.self) {
      const s = await this.sequencers.start(name, host.table.sequencerOf(name)?.since ?? host.clock.now())
      // From what is durable: what is still being written arrives through onSequenced.
      return { sequencer, next: s.durableHead + 1, localFrom: 1, remoteHead: 0 }
    }
    const reply = await host.fetch(sequencer, name, 0, 0)
    if (reply.code !== 0) throw new UnavailableError(`the sequencer of ${name} did not answer: ${reply.reason}`)
    const remoteHead = reply.head
    const meta = await host.store.getMeta(name)
    const localHead = await host.store.head(name)
    let next: number
    let localFrom: number
    if (meta?.term != null && meta.sequencerSince === 0 && localHead >= meta.localFrom - 1) {
      // A replica of the name (leases): its archive is the sequencer's, perhaps ahead of what is acknowledged.
      next = Math.min(localHead, remoteHead) + 1
      localFrom = meta.localFrom
    } else if (meta != null && meta.sequencerSince === 0 && localHead >= meta.localFrom && localHead <= remoteHead) {
      next = localHead + 1
      localFrom = meta.localFrom
    } else {
      next = remoteHead + 1
      localFrom = next
    }
    await host.store.putMeta(name, { ...meta, sequencerSince: 0, epoch: meta?.epoch ?? 0, localFrom, sequencer, sequencerClaim: host.table.sequencerOf(name)?.since ?? 0 })
    return { sequencer, next, localFrom, remoteHead }
  }

  private async fetchHead (sequencer: string): Promise<HeadSeen> {
    const reply = await this.host.fetch(sequencer, this.name, 0, 0)
    if (reply.code !== 0) throw new UnavailableError(`the sequencer ${sequencer} of ${this.name} did not give its head: ${reply.reason}`)
    this.hear(reply.head)
    return { head: reply.head, next: this.reorder.next }
  }

  /**
   * Tells the machine `traffic.quiet` once no messages have come for `quietMs` (give or
   * take: a look every `quietMs` at whether any came since the last look, so a steady
   * flow costs one plain timer per `quietMs` and nothing per message).
   */
  private watchTraffic (quietMs: number): void {
    this.unwatchTraffic()
    this.trafficSeen = false
    const look = (): void => {
      this.watchTimer = undefined
      if (!this.trafficSeen) { this.tell({ type: 'traffic.quiet' }); return }
      this.trafficSeen = false
      this.watchTimer = this.host.clock.setTimeout(look, quietMs)
    }
    this.watchTimer = this.host.clock.setTimeout(look, quietMs)
  }

  private unwatchTraffic (): void {
    if (this.watchTimer !== undefined) this.host.clock.clearTimeout(this.watchTimer)
    this.watchTimer = undefined
  }

  /** Asks `sequencer` for its head: past this stream, the machine hears `head.behind`. */
  /**
   * Asks the sequencer for its head. A check that gets no answer (a timeout under load,
   * a route not there yet) is asked again, backing off up to 10 s, while the stream is
   * idle: with no traffic after it, nothing else would notice messages still missing.
   */
  private checkTail (sequencer: string, retryMs = this.host.config.tailCheckMs): void {
    const again = (why: string): void => {
      this.host.log('head of %s: %s; asking again in %d ms', this.name, why, retryMs)
      this.host.clock.setTimeout(() => {
        if (this.actor.getSnapshot().status === 'active' && (this.phase === 'live' || this.phase === 'flowing') && this.sequencer === sequencer) this.checkTail(sequencer, Math.min(retryMs * 2, 10_000))
      }, retryMs)
    }
    this.host.fetch(sequencer, this.name, 0, 0).then(reply => {
      if (reply.code !== 0) { again(reply.reason); return }
      this.hear(reply.head)
      if (reply.head >= this.reorder.next) this.tell({ type: 'head.behind', sequencer, head: reply.head })
    }, err => { again(errorMessage(err)) })
  }

  /** Fetches from `sequencer` until the stream reaches `upTo` and whatever head it learns on the way. */
  private async fill (sequencer: string, upTo: number, signal: AbortSignal): Promise<FillDone> {
    upTo = Math.max(upTo, this.reorder.gap()?.to ?? 0)
    while (this.reorder.next <= upTo && !signal.aborted) {
      const from = this.reorder.next
      const reply = await this.host.fetch(sequencer, this.name, from, FETCH_BATCH)
      // Released, or following another sequencer since: what this brought is not wanted.
      if (signal.aborted || reply.code !== 0 || reply.messages.length === 0) break
      this.ingest(reply.messages, false)
      if (this.reorder.next === from) break
      upTo = Math.max(upTo, reply.head)
      this.hear(reply.head)
    }
    return { gapRemains: this.reorder.gap() != null }
  }

  /** Another relay sequences the name now. */
  private adopt (from: string, to: string): void {
    this.sequencer = to
    // With leases what this relay numbered and published was acknowledged, so it is the
    // winner's history too; without, a lost claim's numbering is void.
    if (from === this.host.self && to !== this.host.self && this.host.leases == null) {
      // Our numbering is void: take the winner's from the start; subscribers follow it.
      this.reorder = new ReorderBuffer(1)
      this.heard = 0
      this.recent.clear()
      this.localFrom = 1
      for (const sub of this.subs) sub.nextSeq = 1
    }
  }

  /**
   * Messages from the sequencer (`durable`: numbered by this relay's own sequencer, so
   * already in the store). The hot path: in-order messages are delivered here, and the
   * machine hears only of a change of phase.
   */
  ingest (envs: Envelope[], durable: boolean): void {
    const reorder = this.reorder
    const inOrder: Envelope[] = []
    for (const env of envs) {
      if (env.seq > this.heard) this.heard = env.seq
      for (const e of reorder.push(env.seq, env)) inOrder.push(e)
    }
    if (inOrder.length > 0) {
      for (const e of inOrder) {
        this.recent.set(e.seq, e)
        this.deliverLive(e)
      }
      if (this.recent.size > RECENT_LIMIT) {
        for (const k of this.recent.keys()) { if (this.recent.size <= RECENT_LIMIT) break; this.recent.delete(k) }
      }
      if (!durable) {
        const entries = inOrder.map(e => ({ seq: e.seq, bytes: Envelope.encode(e) }))
        this.writing = this.writing.then(async () => { await this.host.store.append(this.name, entries) })
          .catch(err => { this.host.log('archive %s: %s', this.name, errorMessage(err)) })
      }
    }
    const phase = this.phase
    const gap = reorder.gap()
    if (gap != null) {
      if (phase !== 'gapWait' && phase !== 'filling' && this.sequencer !== this.host.self) this.tell({ type: 'gap.detected', to: gap.to })
    } else if (phase === 'gapWait') {
      this.tell({ type: 'gap.closed' })
    } else if (!durable) {
      // Flowing: a plain flag, read by `watchTraffic` (no event per batch).
      if (phase === 'flowing') this.trafficSeen = true
      else if (phase === 'live' && this.sequencer !== this.host.self) this.tell({ type: 'traffic.seen' })
    }
  }

  /** Adds a subscription; returns the first sequence number it will deliver. */
  subscribe (sub: LocalSub, fromSeq?: number): number {
    this.subs.add(sub)
    const head = this.reorder.next - 1
    if (fromSeq == null || fromSeq > head) {
      sub.nextSeq = fromSeq != null && fromSeq > 0 ? fromSeq : head + 1
      sub.replaying = false
    } else {
      sub.nextSeq = Math.max(1, fromSeq)
      void this.replay(sub)
    }
    return sub.nextSeq
  }

  private deliverLive (env: Envelope): void {
    const counters = this.host.counters
    for (const sub of this.subs) {
      if (sub.replaying || sub.closed) continue
      if (sub.nextSeq === env.seq) {
        const port = sub.port()
        if (port == null) continue // away: the agent resumes from its last sequence number
        // A backed-up subscriber falls behind and catches up from the archive as its
        // stream drains, instead of having its write buffer overrun.
        if (port.backlogged()) { void this.replay(sub); continue }
        port.deliver(env)
        if (env.expectsReply) sub.asked?.(env)
        sub.nextSeq++
        if (counters != null) counters.deliveries++
      } else if (sub.nextSeq < env.seq && sub.port() != null) {
        void this.replay(sub)
      }
    }
  }

  /**
   * Brings one subscription from its position to the live head, then hands it to live
   * delivery. Paced by the subscriber's stream: it writes while the stream is below its
   * high-water mark and waits for it to drain (up to the write deadline) otherwise.
   */
  private async replay (sub: LocalSub, retryMs = REPLAY_RETRY_MS): Promise<void> {
    if (sub.replaying) return
    sub.replaying = true
    let stuck = false
    try {
      while (!sub.closed) {
        const target = this.reorder.next - 1
        if (sub.nextSeq > target) break
        const port = sub.port()
        if (port == null) break
        if (port.backlogged()) { await this.host.writable(port, sub.agent); continue }
        const batch = await this.read(sub.nextSeq, Math.min(FETCH_BATCH, target - sub.nextSeq + 1))
        if (batch.length === 0 || batch[0]?.seq !== sub.nextSeq) {
          this.host.log('replay of %s stalled at %d', this.name, sub.nextSeq)
          stuck = true
          break
        }
        for (const env of batch) {
          if (env.seq !== sub.nextSeq || sub.closed || sub.port() !== port || port.backlogged()) break
          port.deliver(env)
          if (env.expectsReply) sub.asked?.(env)
          sub.nextSeq++
          if (this.host.counters != null) this.host.counters.deliveries++
        }
      }
    } catch (err) {
      if (err instanceof HistoryTrimmedError) {
        // Trimmed while this subscriber was behind: it is told, not given a silent gap.
        this.endSub(sub, err)
      } else {
        this.host.log('replay of %s failed: %s', this.name, errorMessage(err))
        stuck = true
      }
    } finally {
      // No await between the last check above and this: live delivery takes over exactly here.
      sub.replaying = false
    }
    // A read that failed (a fetch timed out under load, the sequencer away) is tried again,
    // backing off: with no live traffic after it, nothing else would move this subscriber.
    if (stuck) this.retryReplay(sub, retryMs)
  }

  private endSub (sub: LocalSub, err: HistoryTrimmedError): void {
    this.host.log('subscription of %s to %s ended at %d: %s', sub.agent, this.name, sub.nextSeq, err.message)
    sub.closed = true
    this.subs.delete(sub)
    sub.port()?.subscriptionEnded?.(this.name, ErrorCode.HISTORY_TRIMMED, err.message, err.oldest)
    sub.onEnded?.()
  }

  private retryReplay (sub: LocalSub, retryMs: number): void {
    this.host.clock.setTimeout(() => {
      if (sub.closed || sub.replaying || sub.port() == null || !this.subs.has(sub)) return
      if (this.actor.getSnapshot().status !== 'active' || sub.nextSeq > this.knownHead) return
      void this.replay(sub, Math.min(retryMs * 2, REPLAY_RETRY_MAX_MS))
    }, retryMs)
  }

  /**
   * Messages `from` .. `from + limit - 1` that this relay has or can fetch, in order.
   * Fails with `HistoryTrimmedError` where the name's archive no longer keeps `from`.
   */
  async read (from: number, limit: number): Promise<Envelope[]> {
    const out: Envelope[] = []
    let seq = from
    let bytes = 0
    while (out.length < limit && bytes < FETCH_REPLY_BYTES && this.recent.has(seq)) {
      const env = this.recent.get(seq) as Envelope
      out.push(env)
      bytes += env.payload.byteLength
      seq++
    }
    if (out.length > 0) return out
    const self = this.sequencer === this.host.self
    if (from >= this.localFrom) {
      await this.writing
      const stored = await this.host.store.range(this.name, from, limit, FETCH_REPLY_BYTES)
      // What is here starts later than `from`: this relay's copy was trimmed.
      if (stored.length > 0 && stored[0]?.seq === from) return stored.map(m => Envelope.decode(m.bytes))
      if (stored.length > 0 && self) throw HistoryTrimmedError.at(this.name, from, stored[0]?.seq ?? from)
    }
    if (self) return out
    const reply = await this.host.fetch(this.sequencer, this.name, from, limit)
    if (reply.code === ErrorCode.HISTORY_TRIMMED) throw new HistoryTrimmedError(reply.reason, reply.first)
    return reply.messages
  }

  /**
   * On the sequencer's relay, fails with `HistoryTrimmedError` if its archive no longer
   * keeps `from`. Elsewhere the replay finds out from the sequencer's first answer and
   * ends the subscription with that error (no extra round trip for every subscription).
   */
  async checkHistory (from: number): Promise<void> {
    if (this.sequencer !== this.host.self) return
    const first = await this.host.store.first(this.name)
    if (from < first) throw HistoryTrimmedError.at(this.name, from, first)
  }

  /** Stops the machine (its timers and fetches) and waits for the archive writes. */
  async stop (): Promise<void> {
    if (this.phase === 'loading') this.settle.reject(new UnavailableError(`relay ${this.host.self} stopped while opening ${this.name}`))
    this.actor.stop()
    this.unwatchTraffic() // a stopped machine runs no exit actions
    await this.writing
  }
}

/** Each stream, by the actor system its machine runs in. */
const owners = new WeakMap<object, OrderedStreamActor>()

function owner (system: object): OrderedStreamActor {
  const stream = owners.get(system)
  // Only machines made by the constructor run these effects, and it registers each first.
  if (stream == null) throw new ActorNotProvidedError('an ordered stream effect', 'OrderedStreamActor it runs in (none found)')
  return stream
}

function leafState (name: string): Phase {
  const dot = name.lastIndexOf('.')
  return (dot < 0 ? name : name.slice(dot + 1)) as Phase
}

function errorMessage (err: unknown): string {
  return err instanceof Error ? err.message : String(err)
}
