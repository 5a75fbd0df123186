/**
 * The ordered stream of every name with subscribers at this relay.
 *
 * What gossipsub brings goes through a reorder buffer; a gap that does not fill itself
 * within `gapWaitMs` is fetched from the sequencer's archive; what is in order is stored
 * (so replays are served locally) and pushed to each subscription positioned at it. A
 * subscription that starts behind (resume after being away, `fromSeq`) replays from the
 * archive until it reaches the live head, then switches to live delivery: every
 * subscriber sees every message once, in the same order.
 */
import { Envelope } from '../wire/envelope.pb.js'
import type { FetchReply } from '../wire/envelope.pb.js'
import { ErrorCode } from '../wire/errors.js'
import type { SequencerActor } from './sequencer.actor.js'
import { ReorderBuffer } from './reorder-buffer.js'
import { UnavailableError } from './errors.js'
import type { LocalSub, MulticastHost } from './multicast-host.js'

/** What the ordered streams need of the sequencer registry. */
export interface SequencerLookup {
  /** The relay that sequences `name`, claiming it for this relay when nobody does. */
  sequencerOrClaim: (name: string) => string
  start: (name: string, since: number) => Promise<SequencerActor>
  get: (name: string) => SequencerActor | undefined
  has: (name: string) => boolean
}

interface OrderedStream {
  name: string
  sequencer: string
  reorder: ReorderBuffer<Envelope>
  /** Held since this relay started keeping the name: from here on, the store has every message. */
  localFrom: number
  /** In order but perhaps not yet durable here; and the latest ones, for quick replays. */
  recent: Map<number, Envelope>
  subs: Set<LocalSub>
  gapTimer?: unknown
  tailTimer?: unknown
  filling: boolean
  writing: Promise<void>
}

const RECENT_LIMIT = 4096
const FETCH_BATCH = 256
/**
 * Bytes per fetch reply and per replay read at most (at least one message): catch-up is
 * paced by bytes, not by message count, so a backlog of large messages never lands on a
 * stream faster than the stream drains (a page of 256 messages of 64 KiB would be 16 MiB).
 */
const FETCH_REPLY_BYTES = 2 * 1024 * 1024

export class OrderedStreams {
  private readonly host: MulticastHost
  private readonly sequencers: SequencerLookup
  private readonly streams = new Map<string, OrderedStream>()
  private readonly opening = new Map<string, Promise<OrderedStream>>()

  constructor (host: MulticastHost, sequencers: SequencerLookup) {
    this.host = host
    this.sequencers = sequencers
  }

  names (): string[] { return [...this.streams.keys()] }

  /** What this relay's own sequencer numbered: straight into the name's stream, durable already. */
  onSequenced (name: string, envs: Envelope[]): void {
    const stream = this.streams.get(name)
    if (stream != null) this.ingest(stream, envs, true)
  }

  /** A batch from the name's topic; only its sequencer may publish there. */
  onGossip (from: string, name: string, messages: Envelope[]): void {
    const stream = this.streams.get(name)
    if (stream == null) return
    if (from !== stream.sequencer) {
      this.host.log('dropped multicast for %s from %s: its sequencer is %s', name, from, stream.sequencer)
      return
    }
    this.ingest(stream, messages, false)
  }

  /** The announced claims changed: every stream follows its name's winning sequencer. */
  checkClaims (): void {
    for (const stream of this.streams.values()) {
      const winner = this.host.table.sequencerOf(stream.name)
      if (winner != null && stream.sequencer !== winner.relay) this.follow(stream, winner.relay)
    }
  }

  private async open (name: string): Promise<OrderedStream> {
    const stream = this.streams.get(name)
    if (stream != null) return stream
    const opening = this.opening.get(name)
    if (opening != null) return await opening
    const p = this.load(name).finally(() => { this.opening.delete(name) })
    this.opening.set(name, p)
    return await p
  }

  private async load (name: string): Promise<OrderedStream> {
    const sequencer = this.sequencers.sequencerOrClaim(name)
    const store = this.host.store
    let next: number
    let localFrom: number
    let remoteHead = 0
    if (sequencer === this.host.self) {
      const s = await this.sequencers.start(name, this.host.table.sequencerOf(name)?.since ?? this.host.clock.now())
      // From what is durable: what is still being written arrives through onSequenced.
      next = s.durableHead + 1
      localFrom = 1
    } else {
      const reply = await this.host.fetch(sequencer, name, 0, 0)
      if (reply.code !== 0) throw new UnavailableError(`the sequencer of ${name} did not answer: ${reply.reason}`)
      remoteHead = reply.head
      const meta = await store.getMeta(name)
      const localHead = await store.head(name)
      if (meta != null && meta.sequencerSince === 0 && localHead >= meta.localFrom && localHead <= remoteHead) {
        next = localHead + 1
        localFrom = meta.localFrom
      } else {
        next = remoteHead + 1
        localFrom = next
      }
      await store.putMeta(name, { sequencerSince: 0, epoch: 0, localFrom, sequencer, sequencerClaim: this.host.table.sequencerOf(name)?.since ?? 0 })
    }
    const stream: OrderedStream = { name, sequencer, reorder: new ReorderBuffer(next), localFrom, recent: new Map(), subs: new Set(), filling: false, writing: Promise.resolve() }
    this.streams.set(name, stream)
    this.host.io.setTopic(name, true)
    if (remoteHead >= next) this.fillGap(stream, remoteHead)
    // Claims may have settled while this was loading.
    const now = this.host.table.sequencerOf(name)
    if (now != null && now.relay !== stream.sequencer) this.follow(stream, now.relay)
    return stream
  }

  /** Adds a subscription; returns the first sequence number it will deliver. */
  async subscribe (sub: LocalSub, fromSeq?: number): Promise<number> {
    const stream = await this.open(sub.name)
    stream.subs.add(sub)
    const head = stream.reorder.next - 1
    if (fromSeq == null || fromSeq > head) {
      sub.nextSeq = fromSeq != null && fromSeq > 0 ? fromSeq : head + 1
      sub.replaying = false
    } else {
      sub.nextSeq = Math.max(1, fromSeq)
      void this.replay(stream, sub)
    }
    return sub.nextSeq
  }

  unsubscribe (sub: LocalSub): void {
    sub.closed = true
    const stream = this.streams.get(sub.name)
    if (stream == null) return
    stream.subs.delete(sub)
  }

  private ingest (stream: OrderedStream, envs: Envelope[], durable: boolean): void {
    const inOrder: Envelope[] = []
    for (const env of envs) {
      for (const e of stream.reorder.push(env.seq, env)) inOrder.push(e)
    }
    if (inOrder.length > 0) {
      for (const e of inOrder) {
        stream.recent.set(e.seq, e)
        this.deliverLive(stream, e)
      }
      if (stream.recent.size > RECENT_LIMIT) {
        for (const k of stream.recent.keys()) { if (stream.recent.size <= RECENT_LIMIT) break; stream.recent.delete(k) }
      }
      if (!durable) {
        const entries = inOrder.map(e => ({ seq: e.seq, bytes: Envelope.encode(e) }))
        stream.writing = stream.writing.then(async () => { await this.host.store.append(stream.name, entries) })
          .catch(err => { this.host.log('archive %s: %s', stream.name, (err as Error).message) })
      }
    }
    const gap = stream.reorder.gap()
    if (gap != null) this.scheduleGapFill(stream)
    else if (!durable) this.scheduleTailCheck(stream)
  }

  /**
   * A lost message is noticed when a later one arrives; the last of a burst has no later
   * one. So shortly after traffic, ask the sequencer for its head and fetch what is
   * missing (at most one head request per name per `tailCheckMs`).
   */
  private scheduleTailCheck (stream: OrderedStream): void {
    if (stream.tailTimer != null || stream.sequencer === this.host.self) return
    stream.tailTimer = this.host.clock.setTimeout(() => {
      stream.tailTimer = undefined
      if (this.streams.get(stream.name) !== stream) return
      this.host.fetch(stream.sequencer, stream.name, 0, 0).then(reply => {
        if (reply.code === 0 && reply.head >= stream.reorder.next) this.fillGap(stream, reply.head)
      }, err => { this.host.log('head of %s: %s', stream.name, (err as Error).message) })
    }, this.host.config.tailCheckMs)
  }

  private deliverLive (stream: OrderedStream, env: Envelope): void {
    for (const sub of stream.subs) {
      if (sub.replaying || sub.closed) continue
      if (sub.nextSeq === env.seq) {
        const port = sub.port()
        if (port == null) continue // away: the agent resumes from its last sequence number
        // A backed-up subscriber falls behind and catches up from the archive as its
        // stream drains, instead of having its write buffer overrun.
        if (port.backlogged()) { void this.replay(stream, sub); continue }
        port.deliver(env)
        sub.nextSeq++
      } else if (sub.nextSeq < env.seq && sub.port() != null) {
        void this.replay(stream, sub)
      }
    }
  }

  /**
   * Brings one subscription from its position to the live head, then hands it to live
   * delivery. Paced by the subscriber's stream: it writes while the stream is below its
   * high-water mark and waits for it to drain (up to the write deadline) otherwise.
   */
  private async replay (stream: OrderedStream, sub: LocalSub): Promise<void> {
    if (sub.replaying) return
    sub.replaying = true
    try {
      while (!sub.closed) {
        const target = stream.reorder.next - 1
        if (sub.nextSeq > target) break
        const port = sub.port()
        if (port == null) break
        if (port.backlogged()) { await this.host.writable(port, sub.agent); continue }
        const batch = await this.read(stream, sub.nextSeq, Math.min(FETCH_BATCH, target - sub.nextSeq + 1))
        if (batch.length === 0 || batch[0]?.seq !== sub.nextSeq) {
          this.host.log('replay of %s stalled at %d', stream.name, sub.nextSeq)
          break
        }
        for (const env of batch) {
          if (env.seq !== sub.nextSeq || sub.closed || sub.port() !== port || port.backlogged()) break
          port.deliver(env)
          sub.nextSeq++
        }
      }
    } catch (err) {
      this.host.log('replay of %s failed: %s', stream.name, (err as Error).message)
    } finally {
      // No await between the last check above and this: live delivery takes over exactly here.
      sub.replaying = false
    }
  }

  /** Messages `from` .. `from + limit - 1` that this relay has or can fetch, in order. */
  private async read (stream: OrderedStream, from: number, limit: number): Promise<Envelope[]> {
    const out: Envelope[] = []
    let seq = from
    let bytes = 0
    while (out.length < limit && bytes < FETCH_REPLY_BYTES && stream.recent.has(seq)) {
      const env = stream.recent.get(seq) as Envelope
      out.push(env)
      bytes += env.payload.byteLength
      seq++
    }
    if (out.length > 0) return out
    if (from >= stream.localFrom) {
      await stream.writing
      const stored = await this.host.store.range(stream.name, from, limit, FETCH_REPLY_BYTES)
      for (const m of stored) out.push(Envelope.decode(m.bytes))
      if (out.length > 0) return out
    }
    if (stream.sequencer === this.host.self) return out
    const reply = await this.host.fetch(stream.sequencer, stream.name, from, limit)
    return reply.messages
  }

  private scheduleGapFill (stream: OrderedStream): void {
    if (stream.gapTimer != null || stream.filling) return
    stream.gapTimer = this.host.clock.setTimeout(() => {
      stream.gapTimer = undefined
      const gap = stream.reorder.gap()
      if (gap != null) this.fillGap(stream, gap.to)
    }, this.host.config.gapWaitMs)
  }

  private fillGap (stream: OrderedStream, upTo: number): void {
    if (stream.filling || stream.sequencer === this.host.self) return
    stream.filling = true
    void (async () => {
      try {
        while (stream.reorder.next <= upTo && this.streams.get(stream.name) === stream) {
          const from = stream.reorder.next
          const reply = await this.host.fetch(stream.sequencer, stream.name, from, FETCH_BATCH)
          if (reply.code !== 0 || reply.messages.length === 0) break
          this.ingest(stream, reply.messages, false)
          if (stream.reorder.next === from) break
          upTo = Math.max(upTo, reply.head)
        }
      } catch (err) {
        this.host.log('gap fill of %s failed: %s', stream.name, (err as Error).message)
      } finally {
        stream.filling = false
        if (stream.reorder.gap() != null) this.scheduleGapFill(stream)
      }
    })()
  }

  /** Answers another relay's fetch from this relay's archive. */
  async serveFetch (name: string, fromSeq: number, limit: number): Promise<Partial<FetchReply>> {
    const stream = this.streams.get(name)
    const s = this.sequencers.get(name)
    if (stream == null && s == null) return { name, code: ErrorCode.NO_ROUTE, reason: `relay ${this.host.self} holds no archive of ${name}` }
    const head = stream != null ? stream.reorder.next - 1 : (s as SequencerActor).durableHead
    if (limit === 0) return { name, head, code: 0 }
    const messages: Envelope[] = []
    let bytes = 0
    const from = Math.max(1, fromSeq)
    const stored = stream != null ? await this.read(stream, from, Math.min(limit, FETCH_BATCH)) : (await this.host.store.range(name, from, Math.min(limit, FETCH_BATCH), FETCH_REPLY_BYTES)).map(m => Envelope.decode(m.bytes))
    for (const env of stored) {
      bytes += env.payload.byteLength + 128
      if (messages.length > 0 && bytes > FETCH_REPLY_BYTES) break
      messages.push(env)
    }
    return { name, head, messages, code: 0 }
  }

  /** Drops the state of names nobody here subscribes to any more. */
  release (name: string): void {
    const stream = this.streams.get(name)
    if (stream == null || stream.subs.size > 0 || this.sequencers.has(name)) return
    if (stream.gapTimer != null) this.host.clock.clearTimeout(stream.gapTimer)
    if (stream.tailTimer != null) this.host.clock.clearTimeout(stream.tailTimer)
    this.streams.delete(name)
    if (!this.host.table.isKnown(name)) this.host.io.setTopic(name, false)
  }

  /** Follows a new sequencer: fetch whatever it has beyond this stream's position. */
  private follow (stream: OrderedStream, sequencer: string): void {
    const wasOurs = stream.sequencer === this.host.self
    stream.sequencer = sequencer
    if (sequencer === this.host.self) return
    if (wasOurs) {
      // Our numbering is void: take the winner's from the start; subscribers follow it.
      stream.reorder = new ReorderBuffer(1)
      stream.recent.clear()
      stream.localFrom = 1
      for (const sub of stream.subs) sub.nextSeq = 1
    }
    this.host.fetch(sequencer, stream.name, 0, 0).then(reply => {
      if (reply.code !== 0) return
      if (reply.head + 1 < stream.reorder.next) {
        this.host.log('%s: this relay is at %d but the sequencer %s is at %d; messages sequenced by the losing claim keep their numbers here', stream.name, stream.reorder.next - 1, sequencer, reply.head)
      } else if (reply.head >= stream.reorder.next) {
        this.fillGap(stream, reply.head)
      }
    }, err => { this.host.log('following %s for %s: %s', sequencer, stream.name, (err as Error).message) })
  }

  async stop (): Promise<void> {
    for (const stream of this.streams.values()) {
      if (stream.gapTimer != null) this.host.clock.clearTimeout(stream.gapTimer)
      if (stream.tailTimer != null) this.host.clock.clearTimeout(stream.tailTimer)
    }
    await Promise.all([...this.streams.values()].map(async stream => { await stream.writing }))
  }
}
